/**
 * The SQL benchmark's plain-JS baseline: the stored segments of a dataset read into memory
 * and decoded into column views (typed arrays, dictionary indexes: not timed), then TPC-H
 * Q1 and Q6 as hand-written loops over those columns (timed) — what a vectorized engine
 * in JS could at best do per row. Rows come out as the SQL queries' (same columns, order).
 *
 * @example
 * const li = await readColumns(dataDir, 'lineitem', Q1_COLUMNS); const rows = plainQ1(li)
 */
import { Peer } from '../../../node/cluster/peer.ts'
import { decodeDatasetManifest } from '../../../node/storage/datasets/dataset-manifest.ts'
import { isLargeValueManifest } from '../../../node/storage/chunking.ts'
import { readSegment, stringAt, type ColumnView, type SegmentView } from '../../../node/storage/datasets/segment-reader.ts'

/** The columns the loops read. */
export const Q1_COLUMNS = ['l_shipdate', 'l_returnflag', 'l_linestatus', 'l_quantity', 'l_extendedprice', 'l_discount', 'l_tax'] as const
export const Q6_COLUMNS = ['l_shipdate', 'l_quantity', 'l_extendedprice', 'l_discount'] as const

const Q1_SHIPDATE_MAX = Date.UTC(1998, 8, 2)
const Q6 = { from: Date.UTC(1994, 0, 1), to: Date.UTC(1995, 0, 1), low: 0.05, high: 0.07, quantity: 24 }

/** The segments of dataset `name`'s latest version in `dataDir`, decoded to `columns` (an embedded peer reads them). */
export async function readColumns (dataDir: string, name: string, columns: readonly string[]): Promise<{ segments: SegmentView[], bytes: number }> {
  const peer = await Peer.start({ dataDir, embedded: true })
  try {
    await peer.mark('bench: read the catalog') // the log is applied once the mark is
    const jobs = peer.jobService
    const ref = jobs.registry.datasets.latest(name)
    if (ref === undefined) throw new Error(`Dataset '${name}' was not imported`)
    const manifest = decodeDatasetManifest(await jobs.storage.fetchBlock(ref.cid))
    const segments: SegmentView[] = []
    let bytes = 0
    for (const part of manifest.partitions) {
      for (const s of part) {
        let b = await jobs.storage.fetchBlock(s.cid)
        if (isLargeValueManifest(s.cid, b)) b = await jobs.storage.fetchLarge(s.cid, { from: [] })
        bytes += b.length
        segments.push(readSegment(b, manifest.schema, { columns }))
      }
    }
    return { segments, bytes }
  } finally {
    await peer.stop()
  }
}

function numbers (v: ColumnView | undefined): Float64Array | Int32Array {
  if (v?.kind === 'float64' || v?.kind === 'int32') return v.values
  throw new Error(`Column ${v?.name ?? '?'} is not a float64 or int32 column (${v?.kind ?? 'missing'})`)
}

/** A string column as per-row codes into `dictionary` (a dictionary-encoded column as stored; a plain one is coded here). */
function codes (v: ColumnView | undefined): { dictionary: readonly string[], indexes: ArrayLike<number> } {
  if (v?.kind === 'dict') return { dictionary: v.dictionary, indexes: v.indexes }
  if (v?.kind !== 'utf8') throw new Error(`Column ${v?.name ?? '?'} is not a string column`)
  const dictionary: string[] = []
  const indexes = new Uint32Array(v.offsets.length - 1)
  const seen = new Map<string, number>()
  for (let i = 0; i < indexes.length; i++) {
    const s = stringAt(v, i)
    let k = seen.get(s)
    if (k === undefined) { seen.set(s, k = dictionary.length); dictionary.push(s) }
    indexes[i] = k
  }
  return { dictionary, indexes }
}

interface Q1Group { flag: string, status: string, qty: number, base: number, disc: number, charge: number, discount: number, n: number }

/** Q1 over decoded line item columns: rows [returnflag, linestatus, sums…, avgs…, count] ordered by the flags. */
export function plainQ1 (segments: readonly SegmentView[]): unknown[][] {
  const groups = new Map<string, Q1Group>()
  for (const s of segments) {
    const ship = numbers(s.columns.get('l_shipdate'))
    const flag = codes(s.columns.get('l_returnflag'))
    const status = codes(s.columns.get('l_linestatus'))
    const qty = numbers(s.columns.get('l_quantity'))
    const price = numbers(s.columns.get('l_extendedprice'))
    const discount = numbers(s.columns.get('l_discount'))
    const tax = numbers(s.columns.get('l_tax'))
    // groups of this segment by (flag code, status code): an array indexed by the code pair
    const width = status.dictionary.length
    const local: Array<Q1Group | undefined> = []
    for (let i = 0; i < s.rows; i++) {
      if (ship[i]! > Q1_SHIPDATE_MAX) continue
      const k = flag.indexes[i]! * width + status.indexes[i]!
      let g = local[k]
      if (g === undefined) {
        const f = flag.dictionary[flag.indexes[i]!]!
        const st = status.dictionary[status.indexes[i]!]!
        g = groups.get(f + st)
        if (g === undefined) groups.set(f + st, g = { flag: f, status: st, qty: 0, base: 0, disc: 0, charge: 0, discount: 0, n: 0 })
        local[k] = g
      }
      const p = price[i]!
      const d = discount[i]!
      const discPrice = p * (1 - d)
      g.qty += qty[i]!
      g.base += p
      g.disc += discPrice
      g.charge += discPrice * (1 + tax[i]!)
      g.discount += d
      g.n++
    }
  }
  return [...groups.values()]
    .sort((a, b) => (a.flag + a.status) < (b.flag + b.status) ? -1 : 1)
    .map(g => [g.flag, g.status, g.qty, g.base, g.disc, g.charge, g.qty / g.n, g.base / g.n, g.discount / g.n, g.n])
}

/** Q6 over decoded line item columns: one row [revenue]. */
export function plainQ6 (segments: readonly SegmentView[]): unknown[][] {
  let revenue = 0
  for (const s of segments) {
    const ship = numbers(s.columns.get('l_shipdate'))
    const qty = numbers(s.columns.get('l_quantity'))
    const price = numbers(s.columns.get('l_extendedprice'))
    const discount = numbers(s.columns.get('l_discount'))
    for (let i = 0; i < s.rows; i++) {
      const sd = ship[i]!
      const d = discount[i]!
      if (sd >= Q6.from && sd < Q6.to && d >= Q6.low && d <= Q6.high && qty[i]! < Q6.quantity) revenue += price[i]! * d
    }
  }
  return [[revenue]]
}

/** Each segment's [min, max] of a numeric column (the pruning measurement counts the segments a range touches). */
export function segmentRanges (segments: readonly SegmentView[], column: string): Array<[number, number]> {
  return segments.map(s => {
    const v = numbers(s.columns.get(column))
    let min = Infinity
    let max = -Infinity
    for (let i = 0; i < s.rows; i++) { const x = v[i]!; if (x < min) min = x; if (x > max) max = x }
    return [min, max]
  })
}

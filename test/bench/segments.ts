/**
 * Benchmark: the storage format of dataset segments. Over N rows of a TPC-H-lineitem-like
 * record, cut into segments of SEGMENT_ROWS rows, each candidate format is measured for
 * encode rows/s, bytes per row, and a Q6-like scan — filter on a shipdate range (~2% and
 * ~50% selective) + sum(price * discount) — both reading only the needed columns
 * (projected) and decoding full rows into objects (rows). Formats: meshflow's columnar
 * segments (node/storage/datasets/segment-codec.ts; projected also through the engine's
 * own path, selectRows and segmentRows with push-down), Apache Arrow IPC (apache-arrow)
 * and cbor-x record batches (shared structures). Baseline, in the same run: the same loop
 * over an array of already-decoded objects (up to 1M of them, looped to N rows). Each scan
 * runs MESHFLOW_BENCH_RUNS times (3) and the best run is reported. Prints one JSON line per
 * result; the sums of every path are checked against each other.
 *
 *   npm run bench -- segments                        (MESHFLOW_BENCH_ROWS=1000000 by default)
 *   MESHFLOW_BENCH_ROWS=10000000 npm run bench -- segments
 */
import { Encoder, Decoder } from 'cbor-x'
import { Dictionary, Int32, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import type { DatasetSchema, Predicate } from '../../node/api/dataset-schema.ts'
import { encodeSegment } from '../../node/storage/datasets/segment-codec.ts'
import { readSegment, type ColumnView } from '../../node/storage/datasets/segment-reader.ts'
import { selectRows } from '../../node/storage/datasets/predicate-select.ts'
import { segmentRows } from '../../node/storage/datasets/segment-rows.ts'

const rowsFlag = process.argv.find(a => a.startsWith('--rows='))
const N = Number(rowsFlag?.slice(7) ?? process.env.MESHFLOW_BENCH_ROWS ?? 1_000_000)
const SEGMENT_ROWS = Number(process.env.MESHFLOW_BENCH_SEGMENT_ROWS ?? 10_000)
const BASELINE_ROWS = Math.min(N, 1_000_000)
/** Each scan runs this many times; the best run is reported (the machine may be shared). */
const RUNS = Number(process.env.MESHFLOW_BENCH_RUNS ?? 3)

interface Row { orderkey: bigint, quantity: number, price: number, discount: number, shipdate: number, flag: string, status: string, comment: string }

const schema: DatasetSchema = {
  columns: [
    { name: 'orderkey', type: 'int64' }, { name: 'quantity', type: 'number' }, { name: 'price', type: 'number' },
    { name: 'discount', type: 'number' }, { name: 'shipdate', type: 'timestamp' }, { name: 'flag', type: 'string' },
    { name: 'status', type: 'string' }, { name: 'comment', type: 'string' }
  ]
}

const DAY = 86_400_000
const START = Date.UTC(1992, 0, 2)
const DAYS = 2526
const WORDS = ['carefully', 'final', 'deposits', 'ironic', 'requests', 'furiously', 'regular', 'accounts', 'pending', 'packages', 'quickly', 'bold', 'theodolites', 'slyly', 'express', 'instructions', 'blithely', 'unusual', 'foxes', 'haggle', 'sleep', 'among', 'the', 'above']
const FLAGS = ['A', 'N', 'R']
const STATUSES = ['O', 'F']

/** Segment s's rows, the same every time (a PRNG seeded by s). */
function generate (s: number): Row[] {
  let seed = (s * 2654435761) >>> 0
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const first = s * SEGMENT_ROWS
  const n = Math.min(SEGMENT_ROWS, N - first)
  const rows = new Array<Row>(n)
  for (let k = 0; k < n; k++) {
    const i = first + k
    const words = 2 + Math.floor(rand() * 5)
    let comment = WORDS[Math.floor(rand() * WORDS.length)]!
    for (let w = 1; w < words; w++) comment += ' ' + WORDS[Math.floor(rand() * WORDS.length)]!
    const quantity = 1 + Math.floor(rand() * 50)
    rows[k] = {
      orderkey: BigInt((i >>> 2) + 1),
      quantity,
      price: Math.round(quantity * (900 + rand() * 1100) * 100) / 100,
      discount: Math.floor(rand() * 11) / 100,
      shipdate: START + Math.floor(rand() * DAYS) * DAY,
      flag: FLAGS[Math.floor(rand() * 3)]!,
      status: STATUSES[Math.floor(rand() * 2)]!,
      comment
    }
  }
  return rows
}
const SEGMENTS = Math.ceil(N / SEGMENT_ROWS)

const SELECTIVITIES = [
  { name: '2%', lo: START + 1000 * DAY, hi: START + 1050 * DAY },
  { name: '50%', lo: START + 600 * DAY, hi: START + 1862 * DAY }
]

interface Result { sum: number, matched: number }

/** The scan over decoded objects: the plain-JS loop, also what every format's row path runs. */
function scanObjects (rows: readonly { price: number, discount: number, shipdate: number }[], lo: number, hi: number, into: Result): void {
  let sum = 0
  let matched = 0
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    if (r.shipdate >= lo && r.shipdate < hi) { sum += r.price * r.discount; matched++ }
  }
  into.sum += sum
  into.matched += matched
}

/** The fused scan over three typed columns. */
function scanColumns (shipdate: Float64Array, price: Float64Array, discount: Float64Array, lo: number, hi: number, into: Result): void {
  let sum = 0
  let matched = 0
  for (let i = 0; i < shipdate.length; i++) {
    const s = shipdate[i]!
    if (s >= lo && s < hi) { sum += price[i]! * discount[i]!; matched++ }
  }
  into.sum += sum
  into.matched += matched
}

function floats (c: ColumnView | undefined): Float64Array {
  if (c === undefined || c.kind !== 'float64' || c.nulls !== undefined) throw new Error(`expected a float64 column without nulls, got ${c?.kind ?? 'none'}`)
  return c.values
}

interface Format {
  readonly name: string
  encode: (rows: Row[]) => Uint8Array
  /** Extra projected paths: name → scan of one segment. */
  projected: Record<string, (bytes: Uint8Array, lo: number, hi: number, into: Result) => void>
  rows: (bytes: Uint8Array) => readonly Row[]
}

const meshflow: Format = {
  name: 'meshflow-columnar',
  encode: rows => encodeSegment(schema, rows).bytes,
  projected: {
    'fused-loop': (bytes, lo, hi, into) => {
      const v = readSegment(bytes, schema, { columns: ['shipdate', 'price', 'discount'] })
      scanColumns(floats(v.columns.get('shipdate')), floats(v.columns.get('price')), floats(v.columns.get('discount')), lo, hi, into)
    },
    selectRows: (bytes, lo, hi, into) => {
      const v = readSegment(bytes, schema, { columns: ['shipdate', 'price', 'discount'] })
      const selected = selectRows(v, { op: 'and', args: [{ op: '>=', column: 'shipdate', value: lo }, { op: '<', column: 'shipdate', value: hi }] })
      const price = floats(v.columns.get('price'))
      const discount = floats(v.columns.get('discount'))
      let sum = 0
      for (let k = 0; k < selected.length; k++) { const i = selected[k]!; sum += price[i]! * discount[i]! }
      into.sum += sum
      into.matched += selected.length
    },
    'segmentRows-pushdown': (bytes, lo, hi, into) => {
      const predicate: Predicate = { op: 'and', args: [{ op: '>=', column: 'shipdate', value: lo }, { op: '<', column: 'shipdate', value: hi }] }
      const rows = segmentRows(bytes, schema, { columns: ['price', 'discount'], predicate }) as unknown as { price: number, discount: number }[]
      let sum = 0
      for (let i = 0; i < rows.length; i++) { const r = rows[i]!; sum += r.price * r.discount }
      into.sum += sum
      into.matched += rows.length
    }
  },
  rows: bytes => segmentRows(bytes, schema) as unknown as Row[]
}

const arrow: Format = {
  name: 'arrow-ipc',
  encode: rows => {
    const n = rows.length
    const orderkey = new BigInt64Array(n); const quantity = new Int32Array(n); const price = new Float64Array(n)
    const discount = new Float64Array(n); const shipdate = new Float64Array(n)
    const flag = new Array<string>(n); const status = new Array<string>(n); const comment = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const r = rows[i]!
      orderkey[i] = r.orderkey; quantity[i] = r.quantity; price[i] = r.price; discount[i] = r.discount; shipdate[i] = r.shipdate
      flag[i] = r.flag; status[i] = r.status; comment[i] = r.comment
    }
    const table = new Table({
      orderkey: vectorFromArray(orderkey),
      quantity: vectorFromArray(quantity),
      price: vectorFromArray(price),
      discount: vectorFromArray(discount),
      shipdate: vectorFromArray(shipdate),
      flag: vectorFromArray(flag, new Dictionary(new Utf8(), new Int32())),
      status: vectorFromArray(status, new Dictionary(new Utf8(), new Int32())),
      comment: vectorFromArray(comment, new Utf8())
    })
    return tableToIPC(table, 'stream')
  },
  projected: {
    'fused-loop': (bytes, lo, hi, into) => {
      const t = tableFromIPC(bytes)
      scanColumns(t.getChild('shipdate')!.toArray() as Float64Array, t.getChild('price')!.toArray() as Float64Array, t.getChild('discount')!.toArray() as Float64Array, lo, hi, into)
    }
  },
  rows: bytes => {
    const t = tableFromIPC(bytes)
    const col = (name: string): ArrayLike<unknown> => t.getChild(name)!.toArray() as ArrayLike<unknown>
    const orderkey = col('orderkey') as BigInt64Array; const quantity = col('quantity') as Int32Array; const price = col('price') as Float64Array
    const discount = col('discount') as Float64Array; const shipdate = col('shipdate') as Float64Array
    const flag = col('flag') as string[]; const status = col('status') as string[]; const comment = col('comment') as string[]
    const out = new Array<Row>(t.numRows)
    for (let i = 0; i < out.length; i++) {
      out[i] = { orderkey: orderkey[i]!, quantity: quantity[i]!, price: price[i]!, discount: discount[i]!, shipdate: shipdate[i]!, flag: flag[i]!, status: status[i]!, comment: comment[i]! }
    }
    return out
  }
}

const structures: object[] = []
const cborEncoder = new Encoder({ structures })
const cborDecoder = new Decoder({ structures })
const cbor: Format = {
  name: 'cbor-x-records',
  encode: rows => cborEncoder.encode(rows),
  projected: {
    // records cannot be read a column at a time: decode everything, then loop
    'decode-all': (bytes, lo, hi, into) => { scanObjects(cborDecoder.decode(bytes) as Row[], lo, hi, into) }
  },
  rows: bytes => cborDecoder.decode(bytes) as Row[]
}

function line (o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

const round = (x: number): number => Math.round(x)
const expected = new Map<string, Result>()

function check (what: string, selectivity: string, r: Result): void {
  const e = expected.get(selectivity)
  if (e === undefined) { expected.set(selectivity, r); return }
  if (e.matched !== r.matched || Math.abs(e.sum - r.sum) > 1e-6 * Math.abs(e.sum)) {
    process.stderr.write(`segments bench: ${what} at ${selectivity} gave ${r.matched} rows / ${r.sum}, expected ${e.matched} / ${e.sum}\n`)
    process.exitCode = 1
  }
}

// baseline: the plain loop over already-decoded objects
const baseline = new Map<string, number>()
{
  const objects: Row[] = []
  for (let s = 0; objects.length < BASELINE_ROWS; s++) for (const r of generate(s)) if (objects.length < BASELINE_ROWS) objects.push(r)
  for (const sel of SELECTIVITIES) {
    const warm: Result = { sum: 0, matched: 0 }
    scanObjects(objects, sel.lo, sel.hi, warm)
    const repeats = Math.ceil(N / BASELINE_ROWS)
    const r: Result = { sum: 0, matched: 0 }
    let ms = Infinity
    for (let run = 0; run < RUNS; run++) {
      r.sum = 0
      r.matched = 0
      const started = performance.now()
      for (let k = 0; k < repeats; k++) scanObjects(objects, sel.lo, sel.hi, r)
      ms = Math.min(ms, performance.now() - started)
    }
    const rowsPerSec = round(repeats * objects.length / (ms / 1000))
    baseline.set(sel.name, rowsPerSec)
    line({ bench: 'segments', format: 'plain-js', op: 'scan', path: 'objects', selectivity: sel.name, rows: repeats * objects.length, rowsPerSec, matchedShare: Number((r.matched / (repeats * objects.length)).toFixed(4)) })
  }
}

for (const format of [meshflow, arrow, cbor]) {
  // encode (generation untimed), after a warm-up on one segment
  format.encode(generate(0))
  const segments: Uint8Array[] = []
  let encodeMs = 0
  let bytes = 0
  for (let s = 0; s < SEGMENTS; s++) {
    const rows = generate(s)
    const started = performance.now()
    const b = format.encode(rows)
    encodeMs += performance.now() - started
    // a copy: what a store hands back, sharing no memory with the encoder's scratch
    segments.push(b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice())
    bytes += b.byteLength
  }
  line({ bench: 'segments', format: format.name, op: 'encode', rows: N, rowsPerSec: round(N / (encodeMs / 1000)), bytesPerRow: Number((bytes / N).toFixed(2)), segmentRows: SEGMENT_ROWS, segmentBytes: round(bytes / SEGMENTS) })
  for (const sel of SELECTIVITIES) {
    const paths: [string, (bytes: Uint8Array, lo: number, hi: number, into: Result) => void][] = [
      ...Object.entries(format.projected).map(([name, fn]) => [`projected:${name}`, fn] as [string, typeof fn]),
      ['rows', (b, lo, hi, into) => { scanObjects(format.rows(b), lo, hi, into) }]
    ]
    for (const [path, scan] of paths) {
      for (let s = 0; s < Math.min(20, segments.length); s++) scan(segments[s]!, sel.lo, sel.hi, { sum: 0, matched: 0 })
      const r: Result = { sum: 0, matched: 0 }
      let ms = Infinity
      for (let run = 0; run < RUNS; run++) {
        r.sum = 0
        r.matched = 0
        const started = performance.now()
        for (const b of segments) scan(b, sel.lo, sel.hi, r)
        ms = Math.min(ms, performance.now() - started)
      }
      check(`${format.name} ${path}`, sel.name, r)
      const rowsPerSec = round(N / (ms / 1000))
      line({ bench: 'segments', format: format.name, op: 'scan', path, selectivity: sel.name, rows: N, rowsPerSec, ratioToPlainJs: Number((rowsPerSec / baseline.get(sel.name)!).toFixed(2)), matched: r.matched })
    }
  }
}

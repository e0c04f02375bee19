/**
 * Benchmark: the SQL scan kernels (node/sql/exec/scan-kernel.ts) against a plain JS loop
 * over the same decoded columns. N lineitem-like rows are encoded as dataset segments and
 * decoded once (typed arrays, dictionaries); then TPC-H Q6 (filter on shipdate, discount,
 * quantity; SUM(price * discount)) and Q1 (filter on shipdate; 8 aggregates grouped by the
 * dictionary-encoded returnflag and linestatus) run through the kernel — bound expressions
 * compiled once — and through a hand-written loop over the same arrays (per-segment group
 * tables indexed by the dictionary codes, as a careful programmer would write it). Both
 * run MESHFLOW_BENCH_RUNS times (5), alternating, the best run of each is reported; the results are checked
 * against each other. One JSON line per query: seconds, plainSeconds and
 * `ratioToPlainJs` = plainSeconds / seconds (1 is as fast as the hand-written loop).
 *
 *   node test/bench/sql-kernels.ts            (MESHFLOW_BENCH_ROWS=1000000 by default)
 */
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { encodeSegment } from '../../node/storage/datasets/segment-codec.ts'
import { readSegment, type ColumnView, type SegmentView } from '../../node/storage/datasets/segment-reader.ts'
import { call, constant, input, type AggregateCall, type BoundExpr } from '../../node/sql/bound-expression.ts'
import { ScanKernel } from '../../node/sql/exec/scan-kernel.ts'
import { sqlAggregateCombiner } from '../../node/sql/exec/sql-aggregates.ts'

const rowsFlag = process.argv.find(a => a.startsWith('--rows='))
const N = Number(rowsFlag?.slice(7) ?? process.env.MESHFLOW_BENCH_ROWS ?? 1_000_000)
const SEGMENT_ROWS = Number(process.env.MESHFLOW_BENCH_SEGMENT_ROWS ?? 65_536)
const RUNS = Number(process.env.MESHFLOW_BENCH_RUNS ?? 5)

const schema: DatasetSchema = {
  columns: [
    { name: 'l_quantity', type: 'number' }, { name: 'l_extendedprice', type: 'number' }, { name: 'l_discount', type: 'number' },
    { name: 'l_tax', type: 'number' }, { name: 'l_returnflag', type: 'string' }, { name: 'l_linestatus', type: 'string' },
    { name: 'l_shipdate', type: 'timestamp' }
  ]
}
const DAY = 86_400_000
const START = Date.UTC(1992, 0, 2)
const DAYS = 2526

function generate (s: number): Record<string, unknown>[] {
  let seed = (s * 2654435761) >>> 0
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const n = Math.min(SEGMENT_ROWS, N - s * SEGMENT_ROWS)
  return Array.from({ length: n }, () => {
    const quantity = 1 + Math.floor(rand() * 50)
    const shipdate = START + Math.floor(rand() * DAYS) * DAY
    return {
      l_quantity: quantity,
      l_extendedprice: Math.round(quantity * (900 + rand() * 1100) * 100) / 100,
      l_discount: Math.floor(rand() * 11) / 100,
      l_tax: Math.floor(rand() * 9) / 100,
      l_returnflag: shipdate < Date.UTC(1995, 5, 17) ? (rand() < 0.5 ? 'R' : 'A') : 'N',
      l_linestatus: shipdate < Date.UTC(1995, 5, 17) ? 'F' : 'O',
      l_shipdate: shipdate
    }
  })
}

const views: SegmentView[] = []
for (let s = 0; s * SEGMENT_ROWS < N; s++) {
  views.push(readSegment(encodeSegment(schema, generate(s)).bytes, schema, { columns: schema.columns.map(c => c.name) }))
}

const numbers = (c: ColumnView | undefined): Float64Array | Int32Array => {
  if (c === undefined || (c.kind !== 'float64' && c.kind !== 'int32') || c.nulls !== undefined) throw new Error(`expected a number column without nulls, got ${c?.kind ?? 'none'}`)
  return c.values
}
const dict = (c: ColumnView | undefined): { dictionary: readonly string[], indexes: ArrayLike<number> } => {
  if (c === undefined || c.kind !== 'dict') throw new Error(`expected a dictionary column, got ${c?.kind ?? 'none'}`)
  return c
}

/** Both paths RUNS times, alternating (a busy machine slows both alike); the best run of each. */
function race (kernel: () => unknown, plain: () => unknown): [{ seconds: number, result: unknown }, { seconds: number, result: unknown }] {
  const out: [{ seconds: number, result: unknown }, { seconds: number, result: unknown }] = [{ seconds: Infinity, result: undefined }, { seconds: Infinity, result: undefined }]
  for (let r = 0; r < RUNS; r++) {
    for (const [k, run] of [kernel, plain].entries()) {
      const t0 = performance.now()
      const result = run()
      out[k] = { seconds: Math.min(out[k]!.seconds, (performance.now() - t0) / 1000), result }
    }
  }
  return out
}

function line (o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

function compare (query: string, a: unknown, b: unknown): void {
  const flat = (x: unknown): number[] => JSON.stringify(x, (_k, v) => typeof v === 'bigint' ? Number(v) : v).match(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)!.map(Number)
  const [x, y] = [flat(a), flat(b)]
  if (x.length !== y.length || x.some((v, i) => Math.abs(v - y[i]!) > 1e-6 * Math.max(1, Math.abs(v)))) {
    process.stderr.write(`sql-kernels bench: ${query} kernel gave ${JSON.stringify(a, (_k, v) => typeof v === 'bigint' ? String(v) : v)}, the plain loop ${JSON.stringify(b)}\n`)
    process.exitCode = 1
  }
}

// columns read, in expression-input order
const Q = input(0, 'DOUBLE', false)
const PRICE = input(1, 'DOUBLE', false)
const DISC = input(2, 'DOUBLE', false)
const TAX = input(3, 'DOUBLE', false)
const FLAG = input(4, 'VARCHAR', false)
const STATUS = input(5, 'VARCHAR', false)
const SHIP = input(6, 'TIMESTAMP', false)
const COLUMNS = ['l_quantity', 'l_extendedprice', 'l_discount', 'l_tax', 'l_returnflag', 'l_linestatus', 'l_shipdate']
const d = (v: number): BoundExpr => constant(v, 'DOUBLE')
const ts = (v: number): BoundExpr => constant(v, 'TIMESTAMP')
const bool = (fn: string, args: BoundExpr[]): BoundExpr => call(fn, args, 'BOOLEAN', false)
const dbl = (fn: string, args: BoundExpr[]): BoundExpr => call(fn, args, 'DOUBLE', false)
const sum = (arg: BoundExpr): AggregateCall => ({ fn: 'sum', arg, distinct: false, type: 'DOUBLE' })
const avg = (arg: BoundExpr): AggregateCall => ({ fn: 'avg', arg, distinct: false, type: 'DOUBLE' })

function runKernel (kernelOf: () => ScanKernel, groupBy: readonly BoundExpr[], aggregates: readonly AggregateCall[]): unknown[] {
  const kernel = kernelOf()
  for (const v of views) kernel.fold(v)
  const { combiner } = sqlAggregateCombiner(groupBy, aggregates)
  return kernel.drain().map(([k, acc]) => combiner.result(k, acc)).sort((a, b) => String(a).localeCompare(String(b)))
}

// --- Q6 ---------------------------------------------------------------------------------
const lo6 = Date.UTC(1994, 0, 1)
const hi6 = Date.UTC(1995, 0, 1)
const q6Filter = bool('and', [bool('ge', [SHIP, ts(lo6)]), bool('lt', [SHIP, ts(hi6)]), bool('ge', [DISC, d(0.05)]), bool('le', [DISC, d(0.07)]), bool('lt', [Q, d(24)])])
const q6Aggs = [sum(dbl('mul', [PRICE, DISC]))]
const [q6, q6Plain] = race(() => runKernel(() => new ScanKernel(schema, { columns: COLUMNS, filter: q6Filter, aggregate: { groupBy: [], aggregates: q6Aggs } }), [], q6Aggs), () => {
  let revenue = 0
  for (const v of views) {
    const q = numbers(v.columns.get('l_quantity'))
    const price = numbers(v.columns.get('l_extendedprice'))
    const disc = numbers(v.columns.get('l_discount'))
    const ship = numbers(v.columns.get('l_shipdate'))
    for (let i = 0; i < v.rows; i++) {
      const s = ship[i]!
      const dc = disc[i]!
      if (s >= lo6 && s < hi6 && dc >= 0.05 && dc <= 0.07 && q[i]! < 24) revenue += price[i]! * dc
    }
  }
  return [[revenue]]
})
compare('Q6', q6.result, q6Plain.result)
line({ bench: 'sql-kernels', query: 'Q6', rows: N, segments: views.length, seconds: q6.seconds, plainSeconds: q6Plain.seconds, ratioToPlainJs: q6Plain.seconds / q6.seconds, rowsPerSecond: Math.round(N / q6.seconds) })

// --- Q1 ---------------------------------------------------------------------------------
const hi1 = Date.UTC(1998, 11, 1) - 90 * DAY
const q1Filter = bool('le', [SHIP, ts(hi1)])
const discounted = dbl('mul', [PRICE, dbl('sub', [d(1), DISC])])
const q1Aggs: AggregateCall[] = [sum(Q), sum(PRICE), sum(discounted), sum(dbl('mul', [discounted, dbl('add', [d(1), TAX])])), avg(Q), avg(PRICE), avg(DISC), { fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' }]
const [q1, q1Plain] = race(() => runKernel(() => new ScanKernel(schema, { columns: COLUMNS, filter: q1Filter, aggregate: { groupBy: [FLAG, STATUS], aggregates: q1Aggs } }), [FLAG, STATUS], q1Aggs), () => {
  const groups = new Map<string, number[]>()
  for (const v of views) {
    const q = numbers(v.columns.get('l_quantity'))
    const price = numbers(v.columns.get('l_extendedprice'))
    const disc = numbers(v.columns.get('l_discount'))
    const tax = numbers(v.columns.get('l_tax'))
    const ship = numbers(v.columns.get('l_shipdate'))
    const flag = dict(v.columns.get('l_returnflag'))
    const status = dict(v.columns.get('l_linestatus'))
    const width = status.dictionary.length
    const table: (number[] | undefined)[] = new Array(flag.dictionary.length * width)
    for (let i = 0; i < v.rows; i++) {
      if (ship[i]! > hi1) continue
      const code = flag.indexes[i]! * width + status.indexes[i]!
      let a = table[code]
      if (a === undefined) {
        const k = `${flag.dictionary[flag.indexes[i]!]}|${status.dictionary[status.indexes[i]!]}`
        a = groups.get(k)
        if (a === undefined) groups.set(k, a = [0, 0, 0, 0, 0, 0])
        table[code] = a
      }
      const p = price[i]!
      const dp = p * (1 - disc[i]!)
      a[0]! += q[i]!
      a[1]! += p
      a[2]! += dp
      a[3]! += dp * (1 + tax[i]!)
      a[4]! += disc[i]!
      a[5]!++
    }
  }
  return [...groups].sort(([x], [y]) => x.localeCompare(y)).map(([k, a]) => {
    const [f, s] = k.split('|')
    return [f, s, a[0], a[1], a[2], a[3], a[0]! / a[5]!, a[1]! / a[5]!, a[4]! / a[5]!, a[5]]
  })
})
compare('Q1', q1.result, q1Plain.result)
line({ bench: 'sql-kernels', query: 'Q1', rows: N, segments: views.length, seconds: q1.seconds, plainSeconds: q1Plain.seconds, ratioToPlainJs: q1Plain.seconds / q1.seconds, rowsPerSecond: Math.round(N / q1.seconds) })

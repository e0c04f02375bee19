/**
 * Benchmark: the Nexmark queries (test/bench/nexmark/) on the embedded runtime at p=1,
 * each against a plain-JS loop computing the same query over the same generated events in
 * the same process (generation included on both sides). Each engine run is preceded by a
 * tiny run of the same query, so module loading and compilation are not counted, and its
 * result count must equal the loop's. Prints one JSON line per query.
 *
 *   npm run bench -- nexmark            (MESHFLOW_BENCH_EVENTS=5000000 by default)
 *
 * The Flink side (test/bench/flink/, `-- nexmark --flink`) is not built yet.
 */
import { StreamEnvironment, type Sink } from 'meshflow'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'
import { nexmarkStream } from './nexmark/common.ts'
import { queries, type NexmarkQuery } from './nexmark/queries.ts'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 5_000_000)
const WANTED = (process.env.MESHFLOW_BENCH_QUERIES ?? '').split(',').filter(q => q !== '')

function plainJs (query: NexmarkQuery, events: number): { count: number, ms: number } {
  const g = new NexmarkGenerator()
  const q = query.plain()
  let count = 0
  const emit = (): void => { count++ }
  const started = performance.now()
  for (let i = 0; i < events; i++) q.add(g.event(i), emit)
  q.finish(emit)
  return { count, ms: performance.now() - started }
}

async function engine (query: NexmarkQuery, events: number, parallelism: number): Promise<{ count: number, ms: number }> {
  let count = 0
  const counting: Sink<unknown> = { createWriter: () => ({ write (v) { count += v.length }, finish () {}, close () {} }) }
  const env = StreamEnvironment.create({ parallelism })
  query.job(nexmarkStream(env, { events })).sinkTo(counting, 'count')
  const started = performance.now()
  await env.execute(`bench-nexmark-${query.name}`)
  return { count, ms: performance.now() - started }
}

console.log(JSON.stringify({ bench: 'nexmark', note: 'meshflow only: the Flink side (test/bench/flink, --flink) is not built yet' }))
for (const query of queries) {
  if (WANTED.length > 0 && !WANTED.includes(query.name)) continue
  // the better of two baseline runs, so a cold JIT does not flatter the ratio
  const a = plainJs(query, N)
  const b = plainJs(query, N)
  const base = a.ms < b.ms ? a : b
  const baseEps = N / (base.ms / 1000)
  await engine(query, 10_000, 1)
  const r = await engine(query, N, 1)
  if (r.count !== base.count) throw new Error(`${query.name}: the engine emitted ${r.count} records, plain JS ${base.count}`)
  const eps = N / (r.ms / 1000)
  console.log(JSON.stringify({
    bench: 'nexmark', query: query.name, parallelism: 1, events: N, results: r.count,
    ms: Math.round(r.ms), eventsPerSec: Math.round(eps),
    plainJsEventsPerSec: Math.round(baseEps), ratioToPlainJs: Number((eps / baseEps).toFixed(3)),
    rssMb: Math.round(process.memoryUsage().rss / 1048576)
  }))
}

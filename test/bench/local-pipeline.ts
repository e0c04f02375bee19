/**
 * Benchmark: N generated events through source -> filter -> keyBy -> tumbling event-time
 * window count -> discarding sink on the embedded runtime, against a plain-JS loop doing
 * the same generation, filtering and keyed per-window counting in the same process.
 * Prints one JSON line per result.
 *
 *   npm run bench -- local            (MESHFLOW_BENCH_EVENTS=10000000 by default)
 */
import { StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)
const KEYS = 1000
const WINDOW = 10_000
const PARALLELISM = (process.env.MESHFLOW_BENCH_PARALLELISM ?? '1').split(',').map(Number)

interface Event { key: number, ts: number, value: number }
const generate = (i: number): Event => ({ key: (i * 7919) % KEYS, ts: i, value: i & 0xff })
const keep = (e: Event): boolean => e.value !== 0

function plainJs (): { count: number, ms: number } {
  const started = performance.now()
  let windows = new Map<number, Map<number, number>>()
  let emitted = 0
  let currentStart = 0
  for (let i = 0; i < N; i++) {
    const e = generate(i)
    if (!keep(e)) continue
    const start = e.ts - (e.ts % WINDOW)
    if (start !== currentStart) {
      // windows in order: emit the finished one
      for (const m of windows.values()) emitted += m.size
      windows = new Map()
      currentStart = start
    }
    let m = windows.get(start)
    if (m === undefined) { m = new Map(); windows.set(start, m) }
    m.set(e.key, (m.get(e.key) ?? 0) + 1)
  }
  for (const m of windows.values()) emitted += m.size
  return { count: emitted, ms: performance.now() - started }
}

async function engine (parallelism: number): Promise<{ count: number, ms: number }> {
  let count = 0
  const discard: Sink<unknown> = { createWriter: () => ({ write (v) { count += v.length }, finish () {}, close () {} }) }
  const env = StreamEnvironment.create({ parallelism })
  env.fromSource(datagen({ count: N, generate }), WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner(e => e.ts), 'events')
    .filter(keep)
    .keyBy(e => e.key)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .aggregate({ createAccumulator: () => 0, add: (_e: Event, n: number) => n + 1, getResult: n => n })
    .sinkTo(discard, 'discard')
  const started = performance.now()
  await env.execute('bench-local-pipeline')
  return { count, ms: performance.now() - started }
}

const rss = { peak: process.memoryUsage().rss }
const sampler = setInterval(() => { rss.peak = Math.max(rss.peak, process.memoryUsage().rss) }, 50)
// the better of two baseline runs, so a cold JIT does not flatter the ratio
const first = plainJs()
const second = plainJs()
const base = first.ms < second.ms ? first : second
const baseEps = N / (base.ms / 1000)
// the plain loop never yields, so the sampler cannot see its peak: measure after it
rss.peak = Math.max(rss.peak, process.memoryUsage().rss)
console.log(JSON.stringify({ bench: 'local-pipeline', variant: 'plain-js', events: N, ms: Math.round(base.ms), eventsPerSec: Math.round(baseEps), rssAfterMb: Math.round(rss.peak / 1048576), windows: base.count }))
for (const p of PARALLELISM) {
  rss.peak = process.memoryUsage().rss
  const r = await engine(p)
  const eps = N / (r.ms / 1000)
  if (r.count !== base.count) throw new Error(`Engine emitted ${r.count} window results, plain JS ${base.count}`)
  console.log(JSON.stringify({
    bench: 'local-pipeline', variant: 'engine', parallelism: p, events: N, ms: Math.round(r.ms),
    eventsPerSec: Math.round(eps), ratioToPlainJs: Number((eps / baseEps).toFixed(3)),
    peakRssMb: Math.round(rss.peak / 1048576), windows: r.count
  }))
}
clearInterval(sampler)

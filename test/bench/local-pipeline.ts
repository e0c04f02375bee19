/**
 * Benchmark: N generated events through source -> filter -> keyBy -> tumbling event-time
 * window count -> discarding sink on the embedded runtime, against a plain-JS loop doing
 * the same generation, filtering and keyed per-window counting in the same process.
 * The same job also runs as a module on an embedded peer (what `meshflow run` does: the
 * JobManager and TaskManager in this process), and `meshflow run` of a tiny job is timed
 * from process start to exit against a bare `node` start. Prints one JSON line per result.
 *
 *   npm run bench -- local            (MESHFLOW_BENCH_EVENTS=10000000 by default)
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { Peer } from '../../node/cluster/peer.ts'

const N = Number(process.env.MESHFLOW_BENCH_EVENTS ?? 10_000_000)
const KEYS = 1000
const WINDOW = 10_000
const PARALLELISM = (process.env.MESHFLOW_BENCH_PARALLELISM ?? '1,2').split(',').map(Number)

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

async function engine (parallelism: number, events = N): Promise<{ count: number, ms: number }> {
  let count = 0
  const discard: Sink<unknown> = { createWriter: () => ({ write (v) { count += v.length }, finish () {}, close () {} }) }
  const env = StreamEnvironment.create({ parallelism })
  env.fromSource(datagen({ count: events, generate }), WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner(e => e.ts), 'events')
    .filter(keep)
    .keyBy(e => e.key)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .aggregate({ createAccumulator: () => 0, add: (_e: Event, n: number) => n + 1, getResult: n => n })
    .sinkTo(discard, 'discard')
  const started = performance.now()
  await env.execute('bench-local-pipeline')
  return { count, ms: performance.now() - started }
}

/** The job on an embedded peer (as `meshflow run` runs it, on its task threads), from submission to its end. */
async function embeddedPeer (peer: Peer, parallelism: number, events = N): Promise<{ count: number, ms: number }> {
  const out = mkdtempSync(join(tmpdir(), 'meshflow-bench-local-out-'))
  try {
    const started = performance.now()
    const handle = await peer.submit(fileURLToPath(new URL('./fixtures/local-pipeline-job.ts', import.meta.url)), { parallelism, args: { events: String(events), out } })
    const result = await handle.result()
    const ms = performance.now() - started
    if (result.state !== 'FINISHED') throw new Error(`The embedded job ended ${result.state}: ${result.error ?? ''}`)
    const count = readdirSync(out).reduce((n, f) => n + Number(readFileSync(join(out, f), 'utf8')), 0)
    return { count, ms }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** Median wall time of `runs` processes of `node args` (ms). */
function processMs (args: readonly string[], runs: number, env: Record<string, string> = {}): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
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
// one small job first: the engine's modules loaded and compiled, as the baseline's loop is
// (the start-up of a fresh process is measured on its own below, run-startup)
await engine(1, 10_000)
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
// the job module on the embedded peer runs on its task threads (one per core): a first
// small run at each parallelism warms the threads' compiled code, as the loop's is warm
const peerMs = new Map<number, number>()
const peerDir = mkdtempSync(join(tmpdir(), 'meshflow-bench-local-'))
const peer = await Peer.start({ dataDir: peerDir, embedded: true })
await peer.mark('bench')
for (const p of PARALLELISM) await embeddedPeer(peer, p, 200_000)
for (const p of PARALLELISM) {
  const r = await embeddedPeer(peer, p)
  const eps = N / (r.ms / 1000)
  if (r.count !== base.count) throw new Error(`The embedded peer emitted ${r.count} window results, plain JS ${base.count}`)
  peerMs.set(p, r.ms)
  console.log(JSON.stringify({
    bench: 'local-pipeline', variant: 'embedded-peer', parallelism: p, events: N, ms: Math.round(r.ms),
    eventsPerSec: Math.round(eps), ratioToPlainJs: Number((eps / baseEps).toFixed(3)), windows: r.count,
    threads: availableParallelism()
  }))
}
await peer.stop()
rmSync(peerDir, { recursive: true, force: true })
for (const p of PARALLELISM) {
  if (p === 1 || !peerMs.has(1)) continue
  console.log(JSON.stringify({ bench: 'local-pipeline', variant: 'threads-speedup', parallelism: p, speedupToP1: Number((peerMs.get(1)! / peerMs.get(p)!).toFixed(3)), threads: availableParallelism() }))
}
clearInterval(sampler)

// `meshflow run` of a tiny job, process start to exit (a fresh data dir each time), against a bare node start
const bin = fileURLToPath(new URL('../../node/cli/bin.ts', import.meta.url))
const words = fileURLToPath(new URL('../cli/fixtures/words.ts', import.meta.url))
const bare = processMs(['-e', ''], 5)
const scratch = mkdtempSync(join(tmpdir(), 'meshflow-bench-run-'))
const runs: number[] = []
for (let i = 0; i < 5; i++) runs.push(processMs([bin, 'run', words], 1, { MESHFLOW_DATA_DIR: join(scratch, String(i)) }))
rmSync(scratch, { recursive: true, force: true })
runs.sort((a, b) => a - b)
console.log(JSON.stringify({ bench: 'run-startup', variant: 'meshflow run (tiny job, embedded)', runs: 5, medianMs: Math.round(runs[2]!), bareNodeMs: Math.round(bare) }))

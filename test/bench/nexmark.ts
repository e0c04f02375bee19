/**
 * Benchmark: the Nexmark queries (test/bench/nexmark/: q0-q5, q7, q8, q11).
 *
 *   npm run bench -- nexmark [--flink]      (MESHFLOW_BENCH_EVENTS=5000000 by default,
 *                                            MESHFLOW_BENCH_QUERIES=q4,q7 for some only)
 *
 * With `--flink`, every query runs on Apache Flink 1.20.5 too (test/bench/flink/): the
 * harness builds the Maven project when its sources changed, checks the Java generator
 * against ours event by event, then per query at p=1 and p=2 interleaves the two systems
 * (MESHFLOW_BENCH_ROUNDS rounds, default 2, the best of each), each run in a fresh process
 * (a JVM with a MiniCluster; Node with an embedded peer running the query as a job module
 * on its task threads, one per core, see nexmark/meshflow-run.ts),
 * subtracts each system's start-up (a tiny run of the same query: Flink's net job runtime,
 * ours after a warm-up), checks both emit the same count and checksum (nexmark/flink.ts),
 * and prints one JSON line with both rates, the ratio, both start-ups (process start to a
 * first tiny job done), both peak RSS, and the machine's load average (a busy machine
 * shows).
 *
 * Without `--flink`, or without Java or Maven (it says so), each query runs embedded at
 * p=1 against a plain-JS loop computing the same query over the same generated events in
 * the same process (generation included on both sides), after a small warm-up run; the
 * result counts must be equal.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Peer } from '../../node/cluster/peer.ts'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'
import { queries, type NexmarkQuery } from './nexmark/queries.ts'
import { buildFlink, checkPort, FLINK_QUERIES, flinkMissing, runFlink } from './nexmark/flink.ts'
import { engine, runMeshflow } from './nexmark/meshflow-run.ts'

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

const TINY = 1000
const ROUNDS = Number(process.env.MESHFLOW_BENCH_ROUNDS ?? 2)
const flinkWanted = process.argv.includes('--flink')
const missing = flinkWanted ? flinkMissing() : 'not asked for (--flink)'
const flink = missing === undefined
if (flink) {
  const buildMs = buildFlink()
  const compared = checkPort([[0, 1000], [5_000_000_000, 200]])
  console.log(JSON.stringify({ bench: 'nexmark', flink: '1.20.5', mavenBuildMs: Math.round(buildMs), generatorEventsCompared: compared, generatorIdentical: true }))
} else {
  console.log(JSON.stringify({ bench: 'nexmark', note: `meshflow only: Flink (test/bench/flink) ${missing}` }))
}

/** meshflow and Flink interleaved on one query at parallelism p, each run in a fresh process; one JSON line. */
function againstFlink (query: NexmarkQuery, p: number): void {
  let best = { eps: 0, startupMs: 0, rssMb: 0 }
  let bestFlink = { eps: 0, startupMs: 0, rssMb: 0 }
  let ours = { results: 0, checksum: 0 }
  let theirs = { results: 0, checksum: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    const r = runMeshflow(query.name, N, p, TINY)
    const eps = (N - TINY) / (Math.max(r.ms - r.tinyMs, 1) / 1000)
    if (eps > best.eps) best = { eps, startupMs: r.startupMs, rssMb: r.rssMb }
    ours = r
    const ftiny = runFlink(query.name, TINY, p)
    const f = runFlink(query.name, N, p)
    const feps = (N - TINY) / (Math.max(f.netRuntimeMs - ftiny.netRuntimeMs, 1) / 1000)
    if (feps > bestFlink.eps) bestFlink = { eps: feps, startupMs: ftiny.wallMs, rssMb: f.rssMb }
    theirs = f
  }
  const same = ours.results === theirs.results && ours.checksum === theirs.checksum
  if (!same) process.exitCode = 1
  console.log(JSON.stringify({
    bench: 'nexmark', query: query.name, parallelism: p, events: N, results: ours.results, checksum: ours.checksum,
    sameResults: same, ...(same ? {} : { flinkResults: theirs.results, flinkChecksum: theirs.checksum }),
    eventsPerSec: Math.round(best.eps), flinkEventsPerSec: Math.round(bestFlink.eps),
    ratioToFlink: Number((best.eps / bestFlink.eps).toFixed(3)),
    startupMs: Math.round(best.startupMs), flinkStartupMs: Math.round(bestFlink.startupMs),
    peakRssMb: best.rssMb, flinkPeakRssMb: bestFlink.rssMb,
    // the machine's 1-minute load average as the line is printed: above its core count, other work shared the CPUs
    loadAverage: Number(loadavg()[0]!.toFixed(2)), cores: availableParallelism()
  }))
}

// the embedded peer of the runs without Flink (with Flink each run starts its own process)
const peerDir = mkdtempSync(join(tmpdir(), 'meshflow-nexmark-bench-'))
const peer = await Peer.start({ dataDir: peerDir, embedded: true })
await peer.mark('bench')
for (const query of queries) {
  if (WANTED.length > 0 && !WANTED.includes(query.name)) continue
  if (flink && FLINK_QUERIES.includes(query.name)) {
    for (const p of [1, 2]) againstFlink(query, p)
    continue
  }
  // the better of two baseline runs, so a cold JIT does not flatter the ratio
  const a = plainJs(query, N)
  const b = plainJs(query, N)
  const base = a.ms < b.ms ? a : b
  const baseEps = N / (base.ms / 1000)
  await engine(peer, query, 10_000, 1)
  const r = await engine(peer, query, N, 1)
  if (r.count !== base.count) throw new Error(`${query.name}: the engine emitted ${r.count} records, plain JS ${base.count}`)
  const eps = N / (r.ms / 1000)
  console.log(JSON.stringify({
    bench: 'nexmark', query: query.name, parallelism: 1, events: N, results: r.count,
    ms: Math.round(r.ms), eventsPerSec: Math.round(eps),
    plainJsEventsPerSec: Math.round(baseEps), ratioToPlainJs: Number((eps / baseEps).toFixed(3)),
    rssMb: Math.round(process.memoryUsage().rss / 1048576)
  }))
}
await peer.stop()
rmSync(peerDir, { recursive: true, force: true })

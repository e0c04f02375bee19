/**
 * Benchmark: the Nexmark queries (test/bench/nexmark/) on the embedded runtime at p=1,
 * each against a plain-JS loop computing the same query over the same generated events in
 * the same process (generation included on both sides). Each engine run is preceded by a
 * tiny run of the same query, so module loading and compilation are not counted, and its
 * result count must equal the loop's. Prints one JSON line per query.
 *
 *   npm run bench -- nexmark            (MESHFLOW_BENCH_EVENTS=5000000 by default)
 *
 * With `--flink` (`npm run bench -- nexmark --flink`), the queries Flink has
 * (test/bench/flink/, q0-q2) run on Apache Flink 1.20.5 too: the harness builds the Maven
 * project when its sources changed, checks the Java generator against ours event by event,
 * then per query at p=1 and p=2 interleaves the two systems (MESHFLOW_BENCH_ROUNDS rounds,
 * default 2, the best of each), subtracts each system's start-up (a tiny run of the same
 * query: Flink's net job runtime, ours after a warm-up), checks both emit the same count
 * and checksum, and prints one JSON line with both rates and the ratio. Without Java or
 * Maven it runs meshflow alone and says so.
 */
import { StreamEnvironment, type Sink } from 'meshflow'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'
import { nexmarkStream } from './nexmark/common.ts'
import { queries, type NexmarkQuery } from './nexmark/queries.ts'
import { buildFlink, checkPort, checksumValue, CHECKSUM_MODULUS, FLINK_QUERIES, flinkMissing, runFlink } from './nexmark/flink.ts'

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

/**
 * `x % CHECKSUM_MODULUS` for an integer 0 <= x < 2^53 (what every checksum value is), without
 * the floating-point remainder, which V8 compiles to a call into C: the quotient is at most
 * one off and the correction makes it exact. The same sum as Queries.java computes with
 * integer arithmetic, at a comparable cost.
 */
function modulo (x: number): number {
  const r = x - Math.floor(x / CHECKSUM_MODULUS) * CHECKSUM_MODULUS
  return r < 0 ? r + CHECKSUM_MODULUS : r >= CHECKSUM_MODULUS ? r - CHECKSUM_MODULUS : r
}

async function engine (query: NexmarkQuery, events: number, parallelism: number): Promise<{ count: number, ms: number, checksum: number }> {
  let count = 0
  let checksum = 0
  const value = checksumValue[query.name]
  const counting: Sink<unknown> = {
    createWriter: () => ({
      write (v) {
        count += v.length
        if (value !== undefined) {
          for (const x of v) {
            const sum = checksum + modulo(value(x))
            checksum = sum >= CHECKSUM_MODULUS ? sum - CHECKSUM_MODULUS : sum
          }
        }
      },
      finish () {},
      close () {}
    })
  }
  const env = StreamEnvironment.create({ parallelism })
  query.job(nexmarkStream(env, { events })).sinkTo(counting, 'count')
  const started = performance.now()
  await env.execute(`bench-nexmark-${query.name}`)
  return { count, ms: performance.now() - started, checksum }
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

/** meshflow and Flink interleaved on one query at parallelism p; one JSON line. */
async function againstFlink (query: NexmarkQuery, p: number): Promise<void> {
  await engine(query, TINY, p) // warm-up: module loading and compilation
  let best = { eps: 0, startupMs: 0 }
  let bestFlink = { eps: 0, startupMs: 0, rssMb: 0 }
  let ours = { count: 0, checksum: 0 }
  let theirs = { results: 0, checksum: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    const tiny = await engine(query, TINY, p)
    const r = await engine(query, N, p)
    const eps = (N - TINY) / (Math.max(r.ms - tiny.ms, 1) / 1000)
    if (eps > best.eps) best = { eps, startupMs: tiny.ms }
    ours = r
    const ftiny = runFlink(query.name, TINY, p)
    const f = runFlink(query.name, N, p)
    const feps = (N - TINY) / (Math.max(f.netRuntimeMs - ftiny.netRuntimeMs, 1) / 1000)
    if (feps > bestFlink.eps) bestFlink = { eps: feps, startupMs: ftiny.wallMs, rssMb: f.rssMb }
    theirs = f
  }
  const same = ours.count === theirs.results && ours.checksum === theirs.checksum
  if (!same) process.exitCode = 1
  console.log(JSON.stringify({
    bench: 'nexmark', query: query.name, parallelism: p, events: N, results: ours.count, checksum: ours.checksum,
    sameResults: same, ...(same ? {} : { flinkResults: theirs.results, flinkChecksum: theirs.checksum }),
    eventsPerSec: Math.round(best.eps), flinkEventsPerSec: Math.round(bestFlink.eps),
    ratioToFlink: Number((best.eps / bestFlink.eps).toFixed(3)),
    startupMs: Math.round(best.startupMs), flinkStartupMs: Math.round(bestFlink.startupMs),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), flinkPeakRssMb: bestFlink.rssMb
  }))
}

for (const query of queries) {
  if (WANTED.length > 0 && !WANTED.includes(query.name)) continue
  if (flink && FLINK_QUERIES.includes(query.name)) {
    for (const p of [1, 2]) await againstFlink(query, p)
    continue
  }
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

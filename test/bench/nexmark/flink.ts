// The Flink side of `npm run bench -- nexmark --flink`: finds Java and Maven, builds
// test/bench/flink/ once, checks its generator port against ours event by event, runs a
// query there, and defines the output checksum both sides compute (the same formula as
// ChecksumSink in Queries.java).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NexmarkGenerator } from 'meshflow/connectors/nexmark'

const DIR = new URL('../flink/', import.meta.url).pathname
const JAR = join(DIR, 'target', 'nexmark-flink.jar')
const CLASSPATH = `${JAR}:${join(DIR, 'target', 'lib', '*')}`
/** Queries with a Flink implementation in Queries.java. */
export const FLINK_QUERIES: readonly string[] = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q11']
export const CHECKSUM_MODULUS = 1_000_000_007

/** Why Flink cannot run here (no java or mvn on the PATH), or undefined when it can. */
export function flinkMissing (): string | undefined {
  for (const [cmd, arg] of [['java', '-version'], ['mvn', '-v']] as const) {
    const r = spawnSync(cmd, [arg], { stdio: 'ignore' })
    if (r.error !== undefined || r.status !== 0) return `${cmd} not found`
  }
  return undefined
}

function newestSource (dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    if (name === 'target') continue
    const path = join(dir, name)
    const st = statSync(path)
    newest = Math.max(newest, st.isDirectory() ? newestSource(path) : st.mtimeMs)
  }
  return newest
}

/** Builds the Maven project unless the jar is newer than every source; returns the build's ms (0 when skipped). */
export function buildFlink (): number {
  if (existsSync(JAR) && existsSync(join(DIR, 'target', 'lib')) && statSync(JAR).mtimeMs > newestSource(DIR)) return 0
  const started = performance.now()
  // offline first (a populated ~/.m2), then from Maven Central
  let r = spawnSync('mvn', ['-q', '-o', 'package'], { cwd: DIR, encoding: 'utf8' })
  if (r.status !== 0) r = spawnSync('mvn', ['-q', 'package'], { cwd: DIR, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`Maven build of test/bench/flink failed:\n${r.stdout}${r.stderr}`)
  return performance.now() - started
}

/** Compares events [from, from + count) of the Java port with NexmarkGenerator; returns how many were compared. */
export function checkPort (ranges: ReadonlyArray<readonly [number, number]>): number {
  const g = new NexmarkGenerator()
  let compared = 0
  for (const [from, count] of ranges) {
    const r = spawnSync('java', ['-cp', CLASSPATH, 'meshflow.nexmark.Dump', String(from), String(count)], { encoding: 'utf8', maxBuffer: 1 << 30 })
    if (r.status !== 0) throw new Error(`Java generator dump failed: ${r.stderr}`)
    const lines = r.stdout.split('\n')
    for (let i = 0; i < count; i++) {
      const ours = JSON.stringify(g.event(from + i))
      if (lines[i] !== ours) throw new Error(`The Java generator differs at event ${from + i}:\n  meshflow ${ours}\n  java     ${lines[i]}`)
      compared++
    }
  }
  return compared
}

export interface FlinkRun { results: number, checksum: number, ms: number, netRuntimeMs: number, rssMb: number, wallMs: number }

/** One run of `query` on a fresh JVM and MiniCluster. */
export function runFlink (query: string, events: number, parallelism: number): FlinkRun {
  const started = performance.now()
  const r = spawnSync('java', ['-cp', CLASSPATH, 'meshflow.nexmark.Main', '--query', query, '--events', String(events), '--parallelism', String(parallelism)], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const wallMs = performance.now() - started
  const line = r.stdout.split('\n').find(l => l.startsWith('{"system":"flink"'))
  if (r.status !== 0 || line === undefined) throw new Error(`Flink ${query} failed (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`)
  return { ...JSON.parse(line), wallMs }
}

/** A string's integer: h = (31 h + char) mod the modulus over its UTF-16 units (ChecksumSink.stringHash). */
export function stringHash (s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % CHECKSUM_MODULUS
  return h
}

/** The order-independent checksum of one run's output, fed record by record from every sink writer. */
export interface Checksum {
  add(record: any): void
  /** The checksum, in [0, CHECKSUM_MODULUS). */
  value(): number
}

/**
 * `x mod CHECKSUM_MODULUS` in [0, M) for an integer |x| < 2^53 (what every checksum value is),
 * without the floating-point remainder, which V8 compiles to a call into C: the quotient is
 * at most one off and the correction makes it exact. The sink's cost stays the engine's own,
 * as Queries.java sums with integer arithmetic.
 */
function modulo (x: number): number {
  const r = x - Math.floor(x / CHECKSUM_MODULUS) * CHECKSUM_MODULUS
  return r < 0 ? r + CHECKSUM_MODULUS : r >= CHECKSUM_MODULUS ? r - CHECKSUM_MODULUS : r
}

/** A sum over records of a per-record integer (below 2^53), as ChecksumSink. */
function summing (value: (record: any) => number): () => Checksum {
  return () => {
    let sum = 0
    return {
      add (v) {
        const next = sum + modulo(value(v))
        sum = next >= CHECKSUM_MODULUS ? next - CHECKSUM_MODULUS : next
      },
      value: () => ((sum % CHECKSUM_MODULUS) + CHECKSUM_MODULUS) % CHECKSUM_MODULUS
    }
  }
}

/**
 * q4 updates a category's average each time one of its auctions closes, and auctions that
 * close at the same time may update it in either order, so the updates themselves are
 * order-dependent. What both systems must agree on: the number of updates (the results),
 * the multiset of their categories (each record adds its category) and each category's
 * final average (the end adds 7 * round(1000 * average) of the last update per category;
 * the sink is forward-connected to the keyed average, so a category's last update to
 * arrive is its final one). As Q4Sink in Q4.java.
 */
function q4Checksum (): Checksum {
  const last = new Map<number, number>()
  const sum = summing(o => o.category)()
  return {
    add (o) { last.set(o.category, o.average); sum.add(o) },
    value () {
      let final = 0
      for (const average of last.values()) final = (final + 7 * Math.round(average * 1000) % CHECKSUM_MODULUS) % CHECKSUM_MODULUS
      return (sum.value() + final) % CHECKSUM_MODULUS
    }
  }
}

/** Each query's checksum, the formulas of ChecksumSink and Q*.java. */
export const checksums: Record<string, () => Checksum> = {
  q0: summing(b => b.auction + 3 * b.bidder + 7 * b.price + 11 * b.dateTime + 13 * (b.channel.length + b.url.length + b.extra.length)),
  q1: summing(o => o.auction + 3 * o.bidder + 7 * Math.round(o.price * 1000) + 11 * o.dateTime + 13 * o.extra.length),
  q2: summing(o => o.auction + 7 * o.price),
  q3: summing(o => o.id + 3 * stringHash(o.name) + 7 * stringHash(o.city) + 11 * stringHash(o.state)),
  q4: q4Checksum,
  q5: summing(o => o.auction + 3 * o.num + 7 * o.start + 11 * o.end),
  q7: summing(o => o.auction + 3 * o.bidder + 7 * o.price + 11 * o.dateTime + 13 * o.extra.length),
  q8: summing(o => o.id + 3 * stringHash(o.name) + 7 * o.start),
  q11: summing(o => o.bidder + 3 * o.count + 7 * o.start + 11 * o.end)
}

/**
 * Benchmark: Raft snapshots of the control plane (`node test/bench/control-snapshots.ts`).
 *
 * 1. start-up — a peer whose log held 100,000 entries (checkpoint completions of 100 jobs,
 *    then their ends) starts, each in a fresh process, once from the whole log and once
 *    from the snapshot its previous run took (at the defaults: every 10,000 entries, 1,000
 *    kept behind): the time from `Peer.start` until its job registry applied the last entry
 *    (target: under 2 s with snapshots), and how many entries it replayed;
 * 2. registry snapshot — a registry of 1,000 jobs (checkpoints, restarts, ends) and 100
 *    savepoints: snapshot bytes, encode time, and decode + restore time (medians).
 * One JSON line per result.
 *
 *   MESHFLOW_BENCH_ENTRIES=100000, MESHFLOW_BENCH_JOBS=1000
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Peer } from '../../node/cluster/peer.ts'
import { JobRegistry, type JobCommand } from '../../node/cluster/job-registry.ts'
import { decodeRegistrySnapshot, encodeRegistrySnapshot } from '../../node/cluster/job-registry-snapshot.ts'
import { PeerStore } from '../../node/storage/peer-store.ts'
import { RaftLogStore } from '../../node/storage/raft-log-store.ts'
import type { LogEntry } from '../../protocol/raft.ts'
import { cidOf } from '../../protocol/cid.ts'
import { DEFAULT_SNAPSHOT_EVERY } from '../../node/cluster/raft/constants.ts'

const ENTRIES = Number(process.env.MESHFLOW_BENCH_ENTRIES ?? 100_000)
const JOBS = Number(process.env.MESHFLOW_BENCH_JOBS ?? 1000)
const SELF = fileURLToPath(import.meta.url)
const emit = (result: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ bench: 'control-snapshots', ...result }) + '\n') }

/** A peer on `dir`, quick to elect itself (a single voter) so that start-up is load + replay. */
async function startPeer (dir: string, snapshotEvery: number): Promise<Peer> {
  return await Peer.start({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrapDelayMs: 0, raft: { tickMs: 10, snapshotEvery } })
}

async function until (cond: () => boolean, ms = 600_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('Timed out')
    await new Promise(resolve => setTimeout(resolve, 1))
  }
}

const cids = new Map<string, string>()
/** A real block CID for a name (the log accepts meshflow block CIDs only), memoised. */
function cid (name: string): string {
  let c = cids.get(name)
  if (c === undefined) cids.set(name, c = cidOf(new TextEncoder().encode(name)).toString())
  return c
}

/** Job commands of a long-running mesh: submissions, one checkpoint per entry, then the ends. */
function command (i: number, total: number, jobs: number): JobCommand {
  const job = i % jobs
  const jobId = `job-${job}`
  if (i < jobs) {
    return {
      op: 'submit-job', jobId, name: `pipeline ${job}`, codeCid: cid(`code-${job}`), args: {}, parallelism: 2, maxParallelism: undefined,
      codeHolders: ['elsewhere'], attempt: 0, tasks: [{ vertex: 'v', subtask: 0, peer: 'elsewhere' }, { vertex: 'v', subtask: 1, peer: 'elsewhere' }], submittedAt: i
    }
  }
  if (i >= total - jobs) return { op: 'job-state', jobId, state: 'FINISHED' }
  return { op: 'checkpoint-completed', jobId, attempt: 0, checkpointId: Math.floor(i / jobs), cid: cid(`checkpoint-${i % 4096}`), final: false, at: 1_700_000_000_000 + i }
}

/** A data directory whose single-voter peer has `ENTRIES` entries in its log (none snapshotted). */
async function prepare (dir: string): Promise<number> {
  const peer = await startPeer(dir, 0)
  await until(() => peer.isLeader && peer.commitIndex >= 2)
  await peer.stop()
  return await append(dir, ENTRIES)
}

/** Appends `count` entries to the stored log (as a leader's would be) and returns the last index. */
async function append (dir: string, count: number): Promise<number> {
  const store = await PeerStore.open(dir)
  try {
    const log = new RaftLogStore(store)
    const { hardState, entries, snapshot } = await log.load()
    let index = entries.at(-1)?.index ?? snapshot!.meta.index
    const term = hardState.term
    for (let i = 0; i < count;) {
      const batch: LogEntry[] = []
      for (; batch.length < 5000 && i < count; i++) batch.push({ index: ++index, term, type: 'command', command: command(i, count, 100) })
      await log.save(undefined, batch, undefined)
    }
    return index
  } finally {
    await store.close()
  }
}

/** In a child process: start a peer on `dir` and time it until its registry applied `last`. */
async function measure (dir: string, last: number, snapshotEvery: number): Promise<void> {
  const t0 = performance.now()
  const peer = await startPeer(dir, snapshotEvery)
  const startedMs = performance.now() - t0
  const restoredAt = peer.jobService.registry.applied
  await until(() => peer.jobService.registry.applied >= last)
  const ms = performance.now() - t0
  const applied = peer.jobService.registry.applied
  const { snapshotIndex, firstIndex } = peer.raftLog
  await peer.stop()
  process.stdout.write(JSON.stringify({ ms, startedMs, restoredAt, replayed: applied - restoredAt, snapshotIndex, firstIndex }) + '\n')
}

function child (dir: string, last: number, snapshotEvery: number): Record<string, number> {
  const r = spawnSync(process.execPath, [SELF, '--measure', dir, String(last), String(snapshotEvery)], { encoding: 'utf8', env: { ...process.env, DEBUG: '' } })
  if (r.status !== 0) throw new Error(`measuring start-up failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>
}

async function startup (): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'meshflow-bench-snap-'))
  try {
    const whole = join(root, 'whole')
    const last = await prepare(whole)
    const snap = join(root, 'snap')
    cpSync(whole, snap, { recursive: true })
    // the run before: replays everything once and snapshots (at the default interval)
    child(snap, last, DEFAULT_SNAPSHOT_EVERY)
    const without = child(whole, last, 0)
    emit({ part: 'startup', entries: ENTRIES, snapshots: false, ms: round(without.ms!), peerStartMs: round(without.startedMs!), replayed: without.replayed })
    const withSnap = child(snap, last, DEFAULT_SNAPSHOT_EVERY)
    emit({ part: 'startup', entries: ENTRIES, snapshots: true, ms: round(withSnap.ms!), peerStartMs: round(withSnap.startedMs!), replayed: withSnap.replayed, snapshotIndex: withSnap.snapshotIndex, targetMs: 2000, ok: withSnap.ms! < 2000 })
    // the worst case at the default interval: a whole interval of entries after the snapshot
    const tailLast = await append(snap, DEFAULT_SNAPSHOT_EVERY - 1)
    const worst = child(snap, tailLast, 0)
    emit({ part: 'startup', entries: ENTRIES + DEFAULT_SNAPSHOT_EVERY - 1, snapshots: true, tail: DEFAULT_SNAPSHOT_EVERY - 1, ms: round(worst.ms!), peerStartMs: round(worst.startedMs!), replayed: worst.replayed, snapshotIndex: worst.snapshotIndex, targetMs: 2000, ok: worst.ms! < 2000 })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** 1,000 jobs in every state, with checkpoints, restarts and 100 savepoints. */
function registry (jobs: number): JobRegistry {
  // every entry must be a valid command, or the registry skips it
  const r = new JobRegistry()
  let index = 0
  const apply = (c: JobCommand): void => { r.apply({ index: ++index, term: 1, type: 'command', command: c } as unknown as LogEntry) }
  for (let j = 0; j < jobs; j++) {
    const jobId = `job-${j}`
    apply({
      op: 'submit-job', jobId, name: `pipeline ${j}`, codeCid: cid(`code-${j}`), args: { input: `/data/in-${j}`, rate: '1000' }, parallelism: 4, maxParallelism: 128,
      codeHolders: ['12D3KooWA', '12D3KooWB', '12D3KooWC'], attempt: 0,
      tasks: Array.from({ length: 8 }, (_, s) => ({ vertex: `vertex-${s % 2}`, subtask: s >> 1, peer: `12D3KooWPeer${s % 3}` })),
      submittedAt: 1_700_000_000_000 + j, checkpointIntervalMs: 1000, restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 1000 }
    })
    for (let c = 1; c <= 5; c++) {
      apply({ op: 'checkpoint-completed', jobId, attempt: 0, checkpointId: c, cid: cid(`checkpoint-${j}-${c}`), final: false, at: 1_700_000_000_000 + c, ...(c === 5 && j % (jobs / 100) === 0 ? { savepoint: `savepoint-${j}` } : {}) })
    }
    if (j % 3 === 1) apply({ op: 'job-state', jobId, state: 'FINISHED' })
  }
  return r
}

function median (xs: number[]): number { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! }
function round (x: number): number { return Math.round(x * 100) / 100 }

function registrySnapshot (): void {
  const r = registry(JOBS)
  const encode: number[] = []
  const restore: number[] = []
  let bytes: Uint8Array = new Uint8Array(0)
  for (let i = 0; i < 15; i++) {
    let t = performance.now()
    bytes = encodeRegistrySnapshot(r.snapshot())
    encode.push(performance.now() - t)
    t = performance.now()
    new JobRegistry().restore(decodeRegistrySnapshot(bytes))
    restore.push(performance.now() - t)
  }
  emit({ part: 'registry-snapshot', jobs: r.jobs.length, savepoints: r.savepoints.length, bytes: bytes.byteLength, encodeMs: round(median(encode)), restoreMs: round(median(restore)) })
}

if (process.argv[2] === '--measure') {
  await measure(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]))
  process.exit(0)
} else {
  registrySnapshot()
  await startup()
}

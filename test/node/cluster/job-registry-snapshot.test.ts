/**
 * The job registry's Raft snapshot: a registry restored from the bytes equals the registry
 * that applied the log (jobs, attempts, checkpoints, savepoints, applied index), tells its
 * listeners what a replay would have, and corrupt or foreign bytes are refused naming the
 * field.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobRegistry, type JobCommand, type JobRecord } from '../../../node/cluster/job-registry.ts'
import { decodeRegistrySnapshot, encodeRegistrySnapshot } from '../../../node/cluster/job-registry-snapshot.ts'
import { encodeCbor } from '../../../protocol/cbor.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { cidOf } from '../../../protocol/cid.ts'

const test = suite('JobRegistry snapshot')

/** A real block CID for a name (the log accepts meshflow block CIDs only). */
const cid = (name: string): string => cidOf(new TextEncoder().encode(name)).toString()

/** A log of many jobs in every state, with checkpoints, restarts and savepoints. */
function history (jobs: number): JobCommand[] {
  const out: JobCommand[] = []
  for (let j = 0; j < jobs; j++) {
    const jobId = `job-${j}`
    out.push({
      op: 'submit-job', jobId, name: `pipeline ${j}`, codeCid: cid(`bafk-${j}`), args: { n: String(j), mode: 'x' }, parallelism: 2, maxParallelism: j % 2 === 0 ? 128 : undefined,
      codeHolders: ['peer-a', 'peer-b'], attempt: 0, tasks: [{ vertex: 'v1', subtask: 0, peer: 'peer-a' }, { vertex: 'v1', subtask: 1, peer: 'peer-b' }],
      submittedAt: 1000 + j, checkpointIntervalMs: 1000,
      ...(j % 2 === 0 ? { incarnations: { 'peer-a': 11 + j, 'peer-b': 12 + j } } : {}),
      ...(j % 3 === 0 ? { restartStrategy: { kind: 'exponential-delay' as const, initialDelayMs: 10, maxDelayMs: 100 } } : {}),
      ...(j % 5 === 0 ? { restore: { checkpointId: 7, cid: cid('bafk-savepoint') }, allowNonRestoredState: true } : {})
    })
    for (let c = 1; c <= 5; c++) out.push({ op: 'checkpoint-completed', jobId, attempt: 0, checkpointId: c, cid: cid(`cp-${j}-${c}`), final: false, at: 2000 + c, ...(c === 4 && j % 10 === 0 ? { savepoint: `sp-${j}` } : {}) })
    if (j % 4 === 1) {
      out.push({ op: 'job-state', jobId, state: 'RESTARTING', error: 'lost peer-b' })
      out.push({ op: 'restart-job', jobId, attempt: 1, tasks: [{ vertex: 'v1', subtask: 0, peer: 'peer-a' }, { vertex: 'v1', subtask: 1, peer: 'peer-a' }], restore: { checkpointId: 5, cid: cid(`cp-${j}-5`) }, incarnations: { 'peer-a': 20 + j }, reason: 'lost peer-b', at: 3000 })
      out.push({ op: 'task-finished', jobId, attempt: 1, peer: 'peer-a' })
    }
    if (j % 4 === 2) out.push({ op: 'job-state', jobId, state: 'FAILED', error: 'boom' })
    if (j % 4 === 3) out.push({ op: 'job-state', jobId, state: 'RESTARTING', error: 'lost peer-a' })
  }
  out.push({ op: 'delete-savepoint', name: 'sp-0' })
  return out
}

function replay (commands: readonly JobCommand[], into = new JobRegistry()): JobRegistry {
  commands.forEach((command, i) => { into.apply({ index: i + 1, term: 1, type: 'command', command } as unknown as LogEntry) })
  return into
}

test('a registry restored from a snapshot equals the one that applied the log, and goes on the same', () => {
  const commands = history(40)
  const split = Math.floor(commands.length * 0.7)
  const full = replay(commands)
  const head = replay(commands.slice(0, split))
  const bytes = encodeRegistrySnapshot(head.snapshot())
  const restored = new JobRegistry()
  restored.restore(decodeRegistrySnapshot(bytes, split))
  assert.equal(restored.snapshot(), head.snapshot())
  // the tail applies on top of the snapshot exactly as on the replayed registry
  commands.slice(split).forEach((command, i) => { restored.apply({ index: split + i + 1, term: 1, type: 'command', command } as unknown as LogEntry) })
  assert.equal(restored.snapshot(), full.snapshot())
  assert.equal(restored.savepoints, full.savepoints)
  const job = restored.job('job-1')!
  assert.equal([job.state, job.attempt, job.restarts, [...job.finishedPeers], job.restore], ['RUNNING', 1, 1, ['peer-a'], { checkpointId: 5, cid: cid('cp-1-5') }])
  assert.equal(job.retained.map(c => c.checkpointId), [3, 4, 5])
  assert.ok(full.savepoints.length > 0)
  assert.is(restored.applied, commands.length)
})

test('restore tells listeners what a replay would: running jobs deployed, jobs ended or restarting since', () => {
  const commands = history(8)
  const full = replay(commands)
  const stale = replay(commands.slice(0, 1)) // knows job-0 running only
  const events: string[] = []
  stale.on('deployed', (j: JobRecord) => { events.push(`deployed ${j.id}@${j.attempt}`) })
  stale.on('ended', (j: JobRecord) => { events.push(`ended ${j.id}`) })
  stale.on('restarting', (j: JobRecord) => { events.push(`restarting ${j.id}`) })
  const state = decodeRegistrySnapshot(encodeRegistrySnapshot(full.snapshot()))
  stale.restore(state)
  const running = full.jobs.filter(j => j.state === 'RUNNING').map(j => `deployed ${j.id}@${j.attempt}`)
  assert.equal(events, running)
  // a registry that saw job-2 running learns that it failed
  const sawRunning = replay(commands.slice(0, commands.findIndex(c => c.op === 'job-state' && c.jobId === 'job-2')))
  const ended: string[] = []
  sawRunning.on('ended', (j: JobRecord) => { ended.push(j.id) })
  sawRunning.restore(state)
  assert.equal(ended, ['job-2'])
})

test('1,000 jobs and 100 savepoints round-trip', () => {
  const commands = history(1000)
  const r = replay(commands)
  assert.is(r.savepoints.length, 99) // one per 10 jobs, sp-0 deleted
  const bytes = encodeRegistrySnapshot(r.snapshot())
  assert.equal(decodeRegistrySnapshot(bytes).jobs.length, 1000)
  assert.equal(decodeRegistrySnapshot(bytes), r.snapshot())
})

const good = (): Record<string, unknown> => JSON.parse(JSON.stringify({ v: 1, applied: 3, jobs: [], savepoints: [] }))

test('refuses corrupt, foreign and malformed snapshots with an error naming what is wrong', () => {
  const r = replay(history(2))
  const bytes = encodeRegistrySnapshot(r.snapshot())
  const refuses = (input: Uint8Array, pattern: RegExp, index?: number): void => {
    try {
      decodeRegistrySnapshot(input, index)
    } catch (err) {
      assert.is((err as Error).name, 'InvalidRegistrySnapshotError')
      assert.match((err as Error).message, pattern)
      return
    }
    assert.unreachable(`accepted ${pattern}`)
  }
  refuses(bytes.subarray(0, bytes.length - 3), /^Invalid job registry snapshot: .*not valid CBOR|truncated|Malformed/)
  refuses(new Uint8Array(0), /is empty/)
  refuses(encodeCbor({ ...good(), v: 3 }), /'v' must be 1 or 2 \(the formats this version reads\), got 3/)
  refuses(encodeCbor({ ...good(), extra: 1 }), /'extra' is not a field/)
  refuses(encodeCbor({ ...good(), applied: -1 }), /'applied' must be a non-negative integer/)
  refuses(bytes, /taken after entry \d+, but stands for entry 1$/, 1)
  const snapshot = decodeRegistrySnapshot(bytes)
  // a job as the wire has it (JSON drops undefined fields, as the encoder does)
  const job = JSON.parse(JSON.stringify({ ...snapshot.jobs[0], finishedPeers: [] })) as Record<string, unknown>
  const withJob = (over: Record<string, unknown>): Uint8Array => encodeCbor({ ...good(), jobs: [{ ...job, ...over }] })
  assert.is(decodeRegistrySnapshot(withJob({})).jobs.length, 1)
  refuses(withJob({ state: 'DONE' }), /'jobs\[0\]\.state' must be one of/)
  refuses(withJob({ tasks: [{ vertex: 'v', subtask: -1, peer: 'a' }] }), /'jobs\[0\]\.tasks\[0\]\.subtask'/)
  refuses(withJob({ checkpoints: { completed: 1, latest: { id: 1 } } }), /'jobs\[0\]\.checkpoints\.latest\.cid' is missing/)
  refuses(withJob({ restartStrategy: { kind: 'sometimes' } }), /'jobs\[0\]\.restartStrategy\.kind'/)
  refuses(encodeCbor({ ...good(), jobs: [job, job] }), /'jobs\[1\]\.id' names job "job-0" a second time/)
  refuses(encodeCbor({ ...good(), savepoints: [{ name: 'x' }] }), /'savepoints\[0\]\.jobId' is missing/)
})

test.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobRegistry, MAX_ENDED_JOBS, RETAINED_CHECKPOINTS, type JobCommand, type JobRecord } from '../../../node/cluster/job-registry.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { cidOf } from '../../../protocol/cid.ts'

const test = suite('JobRegistry')

function log (registry: JobRegistry): (command: JobCommand) => void {
  let index = 0
  return command => { registry.apply({ index: ++index, term: 1, type: 'command', command } as unknown as LogEntry) }
}

/** A real block CID for a name (the log accepts meshflow block CIDs only). */
const cid = (name: string): string => cidOf(new TextEncoder().encode(name)).toString()

const submit: JobCommand = {
  op: 'submit-job', jobId: 'j1', name: 'job', codeCid: cid('code'), args: {}, parallelism: 2, maxParallelism: undefined,
  codeHolders: ['a'], attempt: 0, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }, { vertex: 'v', subtask: 1, peer: 'b' }],
  submittedAt: 1, checkpointIntervalMs: 500, restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 0 }
}

const completed = (checkpointId: number, attempt = 0, extra: Partial<JobCommand> = {}): JobCommand =>
  ({ op: 'checkpoint-completed', jobId: 'j1', attempt, checkpointId, cid: cid(`cid-${checkpointId}`), final: false, at: checkpointId, ...extra }) as JobCommand

test('keeps the last RETAINED_CHECKPOINTS checkpoints and counts them', () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply(submit)
  for (let id = 1; id <= 5; id++) apply(completed(id))
  const job = r.job('j1')!
  assert.is(job.checkpoints.completed, 5)
  assert.equal(job.checkpoints.latest, { id: 5, cid: cid('cid-5'), at: 5 })
  assert.is(RETAINED_CHECKPOINTS, 3)
  assert.equal(job.retained.map(c => c.checkpointId), [3, 4, 5])
})

test('a restart redeploys the next attempt from the checkpoint it names, and ignores checkpoints of the old attempt after it', () => {
  const r = new JobRegistry()
  const apply = log(r)
  const deployed: number[] = []
  r.on('deployed', (j: JobRecord) => { deployed.push(j.attempt) })
  apply(submit)
  apply(completed(1))
  apply({ op: 'job-state', jobId: 'j1', state: 'RESTARTING', error: 'lost b' })
  assert.is(r.job('j1')!.state, 'RESTARTING')
  apply({ op: 'restart-job', jobId: 'j1', attempt: 1, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }, { vertex: 'v', subtask: 1, peer: 'a' }], restore: { checkpointId: 1, cid: cid('cid-1') }, reason: 'lost b', at: 10 })
  apply(completed(2, 0))
  const job = r.job('j1')!
  assert.equal([job.state, job.attempt, job.restarts, job.restore?.checkpointId], ['RUNNING', 1, 1, 1])
  assert.equal(job.restoreHistory, [{ attempt: 1, checkpointId: 1, at: 10 }])
  assert.is(job.checkpoints.completed, 1, 'the old attempt\'s late checkpoint is ignored')
  assert.equal(deployed, [0, 1])
})

test('a restart restores a checkpoint that completed (earlier in the log) after the JobManager chose an older one', () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply(submit)
  apply(completed(1))
  apply({ op: 'job-state', jobId: 'j1', state: 'RESTARTING', error: 'task failed' })
  apply(completed(2))
  apply({ op: 'restart-job', jobId: 'j1', attempt: 1, tasks: submit.op === 'submit-job' ? submit.tasks : [], restore: { checkpointId: 1, cid: cid('cid-1') }, reason: 'task failed', at: 10 })
  assert.equal(r.job('j1')!.restore, { checkpointId: 2, cid: cid('cid-2') })
})

test('records savepoints by name, keeps the first of a name, and deletes them', () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply(submit)
  apply(completed(1, 0, { savepoint: 'sp' }))
  apply(completed(2, 0, { savepoint: 'sp' }))
  assert.equal(r.savepoints.map(s => [s.name, s.checkpointId, s.cid]), [['sp', 1, cid('cid-1')]])
  apply({ op: 'delete-savepoint', name: 'sp' })
  assert.equal(r.savepoints, [])
})

test('skips entries that are not valid commands, the same on every peer, and never throws (the poisoned log of issue 9)', () => {
  const r = new JobRegistry()
  let index = 0
  const raw = (command: unknown): void => { r.apply({ index: ++index, term: 1, type: 'command', command } as unknown as LogEntry) }
  const deployed: string[] = []
  r.on('deployed', (j: JobRecord) => { deployed.push(j.id) })
  raw({ op: 'submit-job', junk: true })
  raw({ op: 'submit-job', jobId: 'j0' })
  raw({ op: 'job-state', state: 'FINISHED' })
  raw('not an object')
  raw(null)
  raw({ op: 'drop-tables' })
  raw({ ...submit, tasks: [] })
  raw({ ...submit, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }, { vertex: 'v', subtask: 0, peer: 'b' }] })
  raw({ ...submit, codeCid: 'not-a-cid' })
  assert.equal(deployed, [], 'no junk became a job')
  assert.is(r.jobs.length, 0)
  assert.is(r.applied, index, 'skipped entries still count as applied')
  raw(submit)
  assert.equal(deployed, ['j1'])
  raw({ op: 'job-state', jobId: 'j1', state: 'DONE' })
  raw({ op: 'job-state', jobId: 'other', state: 'FINISHED' })
  raw({ op: 'task-finished', jobId: 'j1', attempt: 0, peer: 'mallory' })
  const job = r.job('j1')!
  assert.is(job.state, 'RUNNING', 'a bad state or another job\'s id changes nothing')
  assert.equal([...job.finishedPeers], [], 'a peer without subtasks cannot finish the job')
})

test(`keeps the last ${MAX_ENDED_JOBS} ended jobs, forgetting the oldest submitted first, and every running job`, () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply({ ...submit, jobId: 'running' } as JobCommand)
  for (let i = 0; i < MAX_ENDED_JOBS + 5; i++) {
    apply({ ...submit, jobId: `j${i}` } as JobCommand)
    apply({ op: 'job-state', jobId: `j${i}`, state: i % 2 === 0 ? 'FINISHED' : 'CANCELED' })
  }
  assert.is(r.jobs.length, MAX_ENDED_JOBS + 1)
  assert.ok(r.job('running') !== undefined)
  assert.is(r.job('j4'), undefined)
  assert.ok(r.job('j5') !== undefined)
  assert.ok(r.job(`j${MAX_ENDED_JOBS + 4}`) !== undefined)
})

test('a record held across an apply is unchanged: the entry replaces it with a new record', async () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply(submit)
  apply(completed(1))
  const held = r.job('j1')!
  const before = structuredClone({ ...held, finishedPeers: [...held.finishedPeers] })
  // applied while the reader awaits, as the log does between a reader's awaits
  await new Promise<void>(resolve => {
    setImmediate(() => {
      apply({ op: 'task-finished', jobId: 'j1', attempt: 0, peer: 'a' })
      apply(completed(2))
      apply({ op: 'job-state', jobId: 'j1', state: 'RESTARTING', error: 'lost b' })
      apply({ op: 'restart-job', jobId: 'j1', attempt: 1, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }, { vertex: 'v', subtask: 1, peer: 'a' }], reason: 'lost b', at: 10 })
      resolve()
    })
  })
  assert.equal({ ...held, finishedPeers: [...held.finishedPeers] }, before, 'the held record did not change')
  assert.equal([held.state, held.attempt, held.checkpoints.completed, held.retained.length], ['RUNNING', 0, 1, 1])
  const now = r.job('j1')!
  assert.ok(now !== held, 'the registry holds a new record')
  assert.equal([now.state, now.attempt, now.restarts, now.checkpoints.completed, now.restore?.checkpointId], ['RUNNING', 1, 1, 2, 2])
  // nobody can change a published record
  assert.ok(Object.isFrozen(now) && Object.isFrozen(now.tasks) && Object.isFrozen(now.retained) && Object.isFrozen(now.checkpoints))
  assert.throws(() => { (now as { state: string }).state = 'FAILED' }, TypeError)
})

test('an event carries the record the entry published', () => {
  const r = new JobRegistry()
  const apply = log(r)
  const seen: JobRecord[] = []
  r.on('restarting', j => { seen.push(j) })
  r.on('ended', j => { seen.push(j) })
  apply(submit)
  apply({ op: 'job-state', jobId: 'j1', state: 'RESTARTING', error: 'lost b' })
  assert.is(seen[0], r.job('j1'))
  apply({ op: 'job-state', jobId: 'j1', state: 'CANCELED' })
  assert.is(seen[1], r.job('j1'))
  assert.equal(seen.map(j => j.state), ['RESTARTING', 'CANCELED'])
})

test('activeJobs lists the jobs that have not ended, also after a snapshot is restored', () => {
  const r = new JobRegistry()
  const apply = log(r)
  apply(submit)
  apply({ ...submit, jobId: 'j2' } as JobCommand)
  apply({ ...submit, jobId: 'j3' } as JobCommand)
  apply({ op: 'job-state', jobId: 'j2', state: 'FINISHED' })
  apply({ op: 'job-state', jobId: 'j1', state: 'RESTARTING', error: 'lost b' })
  assert.equal(r.activeJobs.map(j => [j.id, j.state]), [['j1', 'RESTARTING'], ['j3', 'RUNNING']])
  apply({ op: 'job-state', jobId: 'j3', state: 'CANCELED' })
  const copy = new JobRegistry()
  copy.restore(r.snapshot())
  assert.equal(copy.activeJobs.map(j => j.id), ['j1'])
  assert.equal(r.activeJobs.map(j => j.id), ['j1'])
  assert.is(r.jobs.length, 3, 'ended jobs are still known')
})

test.run()

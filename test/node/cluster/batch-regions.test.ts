/**
 * Batch regions in the metadata log: the `batch-regions` command's validation, how the
 * registry applies it (deployments, stale reports, re-runs, when the job is done, slots),
 * and the registry snapshot keeping a batch job's regions.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobRegistry, type JobCommand } from '../../../node/cluster/job-registry.ts'
import { decodeRegistrySnapshot, encodeRegistrySnapshot } from '../../../node/cluster/job-registry-snapshot.ts'
import { slotsUsed } from '../../../node/cluster/scheduler.ts'
import { decodeLogCommand } from '../../../protocol/log-codec.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { cidOf } from '../../../protocol/cid.ts'

const test = suite('batch regions in the log')
const cid = (name: string): string => cidOf(new TextEncoder().encode(name)).toString()

function log (registry: JobRegistry): (command: JobCommand) => void {
  let index = 0
  // every command goes through the codec first, as the JobManager's do
  return command => { registry.apply({ index: ++index, term: 1, type: 'command', command: decodeLogCommand(command) } as unknown as LogEntry) }
}

const submit: JobCommand = {
  op: 'submit-job', jobId: 'j1', name: 'job', codeCid: cid('code'), args: {}, parallelism: 2, maxParallelism: undefined,
  codeHolders: ['a'], attempt: 0, tasks: [], submittedAt: 1, batchRegions: [0, 0, 1]
}

test('decodeLogCommand checks batch-regions updates and refuses empty deployments of pipelined jobs', () => {
  assert.throws(() => decodeLogCommand({ ...submit, batchRegions: undefined }), /at least one task/)
  assert.throws(() => decodeLogCommand({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'FINISHED', attempt: 1, peer: 'a' }] }), /result/)
  assert.throws(() => decodeLogCommand({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'RUNNING', attempt: 1 }] }), /peer/)
  assert.throws(() => decodeLogCommand({ op: 'batch-regions', jobId: 'j1', updates: [] }), /at least one region/)
  assert.throws(() => decodeLogCommand({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'DONE', attempt: 1, peer: 'a' }] }), /state/)
})

test('JobRegistry deploys regions, records results, skips stale changes, counts re-runs and finishes when every region did', () => {
  const r = new JobRegistry()
  const apply = log(r)
  const deployed: string[] = []
  r.on('region-deployed', e => { deployed.push(`${e.region}@${e.peer}#${e.attempt}`) })
  apply(submit)
  assert.is(r.allFinished(r.job('j1')!), false, 'a batch job with no region run is not finished')
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'RUNNING', attempt: 1, peer: 'a', tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }] }, { region: 1, state: 'RUNNING', attempt: 1, peer: 'b' }] })
  assert.equal(deployed, ['0@a#1', '1@b#1'])
  assert.equal([...r.slotsInUse(slotsUsed)], [['a', 1], ['b', 1]])
  // a second deployment of a running region, and a result of another run, change nothing
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'RUNNING', attempt: 1, peer: 'b' }, { region: 1, state: 'FINISHED', attempt: 2, peer: 'b', result: cid('x') }] })
  assert.equal(deployed, ['0@a#1', '1@b#1'])
  assert.is(r.job('j1')!.batch!.regions[1]!.state, 'RUNNING')
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 0, state: 'FINISHED', attempt: 1, peer: 'a', result: cid('r0'), recordsIn: 5, recordsOut: 7 }] })
  // b was lost: region 1 runs again, elsewhere
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 1, state: 'PENDING', attempt: 1 }], reason: 'TaskManager b was lost' })
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 1, state: 'RUNNING', attempt: 2, peer: 'a' }] })
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 1, state: 'FINISHED', attempt: 2, peer: 'a', result: cid('r1') }] })
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 2, state: 'RUNNING', attempt: 1, peer: 'a' }] })
  apply({ op: 'batch-regions', jobId: 'j1', updates: [{ region: 2, state: 'FINISHED', attempt: 1, peer: 'a', result: cid('r2') }] })
  const job = r.job('j1')!
  assert.is(job.batch!.reruns, 1)
  assert.equal(job.batch!.regions.map(x => [x.stage, x.state, x.attempt, x.peer]), [[0, 'FINISHED', 1, 'a'], [0, 'FINISHED', 2, 'a'], [1, 'FINISHED', 1, 'a']])
  assert.equal(job.batch!.regions[0]!.tasks, [{ vertex: 'v', subtask: 0, peer: 'a' }])
  assert.is(r.allFinished(job), true)
  assert.ok(Object.isFrozen(job.batch!.regions[0]), 'records are frozen')

  // the snapshot keeps the regions
  const other = new JobRegistry()
  other.restore(decodeRegistrySnapshot(encodeRegistrySnapshot(r.snapshot())))
  assert.equal(other.job('j1')!.batch, job.batch)
})

test.run()

// The JobManager against a real JobRegistry, with a one-peer log: `propose` applies the
// command at the next index, as the Raft log would once it commits.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobManager } from '../../../node/cluster/job-manager.ts'
import { JobRegistry, type JobCommand } from '../../../node/cluster/job-registry.ts'
import type { JobCheckpoints } from '../../../node/cluster/job-checkpoints.ts'
import { JobGraphs } from '../../../node/cluster/job-graphs.ts'
import type { LogEntry } from '../../../protocol/raft.ts'
import { cidOf } from '../../../protocol/cid.ts'
import type { JobDefinition } from '../../../node/api/job.ts'

const test = suite('JobManager')

const cid = (name: string): string => cidOf(new TextEncoder().encode(name)).toString()

/** A registry, a manager leading it, and every command it proposed. */
function setup (restartDelayMs: number): { registry: JobRegistry, manager: JobManager, proposed: JobCommand[] } {
  const registry = new JobRegistry()
  const proposed: JobCommand[] = []
  let index = 0
  const propose = async (command: JobCommand): Promise<void> => {
    proposed.push(command)
    registry.apply({ index: ++index, term: 1, type: 'command', command } as unknown as LogEntry)
  }
  // the job is built (to schedule it), never run
  const loadJob = async (): Promise<JobDefinition> => (await import('./fixtures/windowed-job.ts')).default
  const graphs = new JobGraphs({ loadJob })
  const manager = new JobManager({
    selfId: 'a',
    registry,
    isLeader: () => true,
    propose,
    loadJob,
    replicateCode: async () => {},
    graphOf: job => graphs.graphOf(job),
    peers: () => [{ id: 'a', labels: {}, slots: 4, startedAt: 1 }],
    checkpoints: {} as unknown as JobCheckpoints,
    deployedHere: () => true,
    fetchBlock: async () => { throw new Error('No blocks in this test') }
  })
  void propose({
    op: 'submit-job', jobId: 'j1', name: 'job', codeCid: cid('code'), args: { out: 'never-written' }, parallelism: 1, maxParallelism: undefined,
    codeHolders: ['a'], attempt: 0, tasks: [{ vertex: 'v', subtask: 0, peer: 'a' }], submittedAt: 1,
    checkpointIntervalMs: 500, restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: restartDelayMs }
  })
  proposed.length = 0
  return { registry, manager, proposed }
}

/** Resolves with 'settled' when `p` settles, or 'pending' after `ms` (a generous deadline). */
async function settles (p: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<'pending'>(resolve => { timer = setTimeout(() => { resolve('pending') }, ms) })
  try {
    return await Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), deadline])
  } finally {
    clearTimeout(timer)
  }
}

test('stop() cancels a restart waiting out its delay: the restart is never proposed', async () => {
  // an hour's delay: only stop() can end the wait
  const { registry, manager, proposed } = setup(60 * 60_000)
  const report = manager.taskReport({ jobId: 'j1', attempt: 0, peer: 'a', state: 'FAILED', error: 'boom' })
  // the RESTARTING state is committed before the delay starts
  for (let i = 0; i < 100 && registry.job('j1')!.state !== 'RESTARTING'; i++) await new Promise(resolve => setImmediate(resolve))
  assert.is(registry.job('j1')!.state, 'RESTARTING')
  manager.stop()
  assert.is(await settles(report, 30_000), 'settled', 'the report returns once the JobManager stopped')
  assert.equal(proposed.map(c => c.op), ['job-state'])
  assert.is(registry.job('j1')!.state, 'RESTARTING', 'the next leader completes the restart')
  manager.stop() // safe twice
})

test('without stop() the restart follows its delay and deploys the next attempt', async () => {
  const { registry, manager, proposed } = setup(10)
  await manager.taskReport({ jobId: 'j1', attempt: 0, peer: 'a', state: 'FAILED', error: 'boom' })
  assert.equal(proposed.map(c => c.op), ['job-state', 'restart-job'])
  assert.equal([registry.job('j1')!.state, registry.job('j1')!.attempt], ['RUNNING', 1])
})

test.run()

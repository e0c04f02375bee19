import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CheckpointCoordinator } from '../../../node/runtime/checkpoint-coordinator.ts'
import { FINAL_CHECKPOINT_ID } from '../../../node/runtime/checkpoint.ts'
import type { CheckpointManifest } from '../../../node/runtime/checkpoint-manifest.ts'
import type { JobGraph } from '../../../node/graph/job-graph.ts'

const test = suite('CheckpointCoordinator')

// two vertices: a source (1 subtask) and a keyed operator (2 subtasks): 3 acks per checkpoint
const graph = {
  maxParallelism: 128,
  vertices: [
    { id: 'src', parallelism: 1, maxParallelism: 128, operators: [{ id: 'src', uid: undefined, name: 'src' }] },
    { id: 'sum', parallelism: 2, maxParallelism: 128, operators: [{ id: 'sum', uid: 'sum', name: 'sum' }] }
  ]
} as unknown as JobGraph

function coordinator (complete: (m: CheckpointManifest) => Promise<string>, notified: number[] = [], timeoutMs = 1_000): CheckpointCoordinator {
  return new CheckpointCoordinator({
    jobId: 'j', jobName: 'job', graph,
    triggerSources: async () => ({ accepted: true, lastCheckpointId: 0 }),
    complete: async m => await complete(m),
    notify: id => { notified.push(id) }
  }, { timeoutMs })
}

const ackAll = (c: CheckpointCoordinator, id: number): void => {
  c.ack('src', 0, id, [{ operatorId: 'src', keyed: [], list: [{ id: '0', next: 5 }] }])
  c.ack('sum', 0, id, [{ operatorId: 'sum', keyed: ['a'], list: [] }])
  c.ack('sum', 1, id, [{ operatorId: 'sum', keyed: ['b'], list: [] }])
}

test('completes when every subtask acked, with a manifest per operator and subtask, then notifies', async () => {
  const notified: number[] = []
  let stored: CheckpointManifest | undefined
  const c = coordinator(async m => { stored = m; return 'cid-1' }, notified)
  c.start()
  const done = c.trigger('checkpoint')
  await new Promise(resolve => setImmediate(resolve))
  ackAll(c, 1)
  const completed = await done
  assert.is(completed.cid, 'cid-1')
  assert.equal(stored!.operators.map(o => [o.id, o.subtasks.map(s => s.keyed)]), [['src', [[]]], ['sum', [['a'], ['b']]]])
  assert.equal(notified, [1])
  c.stop()
})

test('a duplicate ack while the manifest is stored does not complete the checkpoint twice', async () => {
  let stores = 0
  let release!: () => void
  const c = coordinator(async () => { stores++; await new Promise<void>(resolve => { release = resolve }); return 'cid' })
  c.start()
  const done = c.trigger('checkpoint')
  await new Promise(resolve => setImmediate(resolve))
  ackAll(c, 1)
  ackAll(c, 1)
  release()
  await done
  assert.is(stores, 1)
  c.stop()
})

test('a checkpoint whose acks are all in is not aborted by a timeout while it is stored', async () => {
  const c = coordinator(async () => { await new Promise(resolve => setTimeout(resolve, 80)); return 'cid' }, [], 30)
  c.start()
  const done = c.trigger('savepoint', 'sp')
  await new Promise(resolve => setImmediate(resolve))
  ackAll(c, 1)
  assert.is((await done).manifest.savepoint, 'sp')
  c.stop()
})

test('a checkpoint missing an ack times out and the next one completes', async () => {
  const c = coordinator(async () => 'cid', [], 30)
  c.start()
  const first = c.trigger('checkpoint')
  await new Promise(resolve => setImmediate(resolve))
  c.ack('src', 0, 1, [])
  try {
    await first
    assert.unreachable('the checkpoint must time out')
  } catch (err) {
    assert.match((err as Error).message, /Checkpoint 1 was aborted: not acknowledged by every task within 30 ms/)
  }
  const second = c.trigger('checkpoint')
  await new Promise(resolve => setImmediate(resolve))
  ackAll(c, 2)
  assert.is((await second).checkpointId, 2)
  c.stop()
})

test('a final checkpoint that fails to store is retried by the next final ack', async () => {
  const notified: number[] = []
  let attempts = 0
  const c = coordinator(async m => {
    attempts++
    if (attempts === 1) throw new Error('disk full')
    assert.ok(m.final)
    return 'final-cid'
  }, notified)
  c.start()
  ackAll(c, FINAL_CHECKPOINT_ID)
  await c.final?.catch(() => {})
  assert.is(c.final, undefined, 'the failed attempt is forgotten')
  c.ack('sum', 1, FINAL_CHECKPOINT_ID, [])
  assert.is((await c.final!).cid, 'final-cid')
  assert.equal(notified, [FINAL_CHECKPOINT_ID])
  c.stop()
})

test.run()

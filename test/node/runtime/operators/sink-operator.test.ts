/**
 * SinkOperator: batching, and two-phase commit under checkpointing (pre-commit on the
 * barrier, commit on checkpoint completion, commit again on restore, the final checkpoint
 * at the end of input), driven with an in-memory writer that logs every call.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FINAL_CHECKPOINT_ID, type Sink, type SinkWriter } from 'meshflow'
import { deferred } from '../../support.ts'
import { openSink, snapshot, writeBatch } from './sink-driver.ts'

const test = suite('SinkOperator')

interface Committable { readonly part: string, readonly values: number[] }

/** What the fake external system shows readers, shared by every writer instance. */
class Store {
  readonly visible = new Map<string, number[]>()
  readonly log: string[] = []
  /** Every visible value, in part order. */
  get output (): number[] {
    return [...this.visible.values()].flat()
  }
}

interface FakeInit {
  /** Leave out prepareCommit/commit: a writer without two-phase commit. */
  readonly plain?: boolean
  /** Each write waits for this promise. */
  readonly slowWrite?: () => Promise<void>
  readonly failCommit?: boolean
}

let instances = 0

function fakeSink (store: Store, init: FakeInit = {}): Sink<number> {
  return {
    createWriter (): SinkWriter<number> {
      const instance = instances++
      let written: number[] = []
      let parts = 0
      const writer: SinkWriter<number> = {
        async write (values) {
          if (init.slowWrite !== undefined) await init.slowWrite()
          store.log.push(`write ${values.join(',')}`)
          written.push(...values)
        },
        finish () {
          store.log.push('finish')
          store.visible.set(`w${instance}-finish`, written)
          written = []
        },
        close () { store.log.push('close') }
      }
      if (init.plain === true) return writer
      writer.prepareCommit = (checkpointId: number): Committable[] => {
        const id = checkpointId === FINAL_CHECKPOINT_ID ? 'end' : String(checkpointId)
        store.log.push(`prepare ${id}`)
        if (written.length === 0) return []
        const c = { part: `w${instance}-${id}-${parts++}`, values: written }
        written = []
        return [c]
      }
      writer.commit = (committables: readonly unknown[]): void => {
        const cs = committables as Committable[]
        store.log.push(`commit ${cs.map(c => c.part).join(',')}`)
        if (init.failCommit === true) throw new Error(`Commit of ${cs[0]?.part} refused`)
        for (const c of cs) if (!store.visible.has(c.part)) store.visible.set(c.part, c.values)
      }
      return writer
    }
  }
}

test('pre-commits on a barrier and makes the output visible when the checkpoint completes', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store))
  await writeBatch(op, [1, 2])
  const list = await snapshot(op, 1)
  assert.equal(list, [{ checkpointId: 1, committable: { part: 'w' + (instances - 1) + '-1-0', values: [1, 2] } }])
  await writeBatch(op, [3])
  assert.equal(store.output, [])
  await op.notifyCheckpointComplete(1)
  assert.equal(store.output, [1, 2])
  assert.equal(store.log, ['write 1,2', 'prepare 1', 'write 3', `commit w${instances - 1}-1-0`])
  assert.equal(op.pendingCommittables, [])
  await op.close()
})

test('writes what is buffered and waits for a slow write before it pre-commits', async () => {
  const store = new Store()
  const gate = deferred()
  let slow = false
  const op = await openSink(fakeSink(store, { slowWrite: async () => { if (slow) await gate.promise } }))
  slow = true
  op.processElement(1)
  op.processElement(2)
  // the barrier arrives before the batch was flushed: its records belong to checkpoint 1
  const taken = op.snapshotState(1)
  await new Promise(resolve => setTimeout(resolve, 10))
  assert.equal(store.log, [])
  gate.resolve()
  const snap = await taken
  assert.is(snap?.list?.length, 1)
  assert.equal(store.log, ['write 1,2', 'prepare 1'])
  await op.close()
})

test('lists every committable not committed yet, tagged with its checkpoint', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store))
  await writeBatch(op, [1])
  await snapshot(op, 1)
  await snapshot(op, 2)                          // nothing written: no committable
  await writeBatch(op, [2])
  const list = await snapshot(op, 3)
  assert.equal(list.map(t => (t as { checkpointId: number }).checkpointId), [1, 3])
  await op.notifyCheckpointComplete(1)
  await writeBatch(op, [3])
  assert.equal((await snapshot(op, 4)).map(t => (t as { checkpointId: number }).checkpointId), [3, 4])
  await op.close()
})

test('commits every earlier checkpoint in order when a notification was skipped', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store))
  await writeBatch(op, [1])
  await snapshot(op, 1)
  await writeBatch(op, [2])
  await snapshot(op, 2)
  await writeBatch(op, [3])
  await snapshot(op, 3)
  await op.notifyCheckpointComplete(2)
  assert.equal(store.output, [1, 2])
  assert.equal(store.log.filter(l => l.startsWith('commit')).map(l => l.replace(/w\d+-/, '')), ['commit 1-0', 'commit 2-1'])
  await op.notifyCheckpointComplete(3)
  assert.equal(store.output, [1, 2, 3])
  await op.close()
})

test('never makes output visible for a checkpoint that does not complete', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store))
  await writeBatch(op, [1, 2])
  await snapshot(op, 1)
  await writeBatch(op, [3])
  await op.close()
  assert.equal(store.output, [])
})

test('at the end of input pre-commits under FINAL_CHECKPOINT_ID and commits on the final checkpoint', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store))
  await writeBatch(op, [1])
  await snapshot(op, 1)
  op.processElement(2)
  await op.finish()
  assert.not.ok(store.log.includes('finish'), 'the writer\'s finish is not called')
  assert.equal(store.output, [])
  const list = await snapshot(op, FINAL_CHECKPOINT_ID)
  assert.equal(list.map(t => (t as { checkpointId: number }).checkpointId), [1, FINAL_CHECKPOINT_ID])
  // the final snapshot does not pre-commit again
  assert.is(store.log.filter(l => l === 'prepare end').length, 1)
  assert.equal(store.output, [])
  await op.notifyCheckpointComplete(FINAL_CHECKPOINT_ID)
  assert.equal(store.output, [1, 2])
  await op.close()
})

test('commits the committables of the restored checkpoint in open, idempotently', async () => {
  const store = new Store()
  const first = await openSink(fakeSink(store))
  await writeBatch(first, [1])
  await snapshot(first, 1)
  await writeBatch(first, [2])
  const list = await snapshot(first, 2)           // completes, but the task fails before the notification
  await first.notifyCheckpointComplete(1)
  await writeBatch(first, [3])
  await first.close()
  assert.equal(store.output, [1])
  // the restarted task: records after checkpoint 2 are replayed
  const second = await openSink(fakeSink(store), { restore: { checkpointId: 2, list } })
  assert.equal(store.output, [1, 2])
  await writeBatch(second, [3])
  await second.finish()
  await snapshot(second, FINAL_CHECKPOINT_ID)
  await second.notifyCheckpointComplete(FINAL_CHECKPOINT_ID)
  await second.close()
  assert.equal(store.output, [1, 2, 3])
  // restoring the same checkpoint once more changes nothing
  const third = await openSink(fakeSink(store), { restore: { checkpointId: 2, list } })
  await third.close()
  assert.equal(store.output, [1, 2, 3])
})

test('fails notifyCheckpointComplete with an error naming the operator when a commit fails', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store, { failCommit: true }), { name: 'out' })
  await writeBatch(op, [1])
  await snapshot(op, 1)
  try {
    await op.notifyCheckpointComplete(1)
    assert.unreachable('the commit should fail')
  } catch (err) {
    assert.is((err as Error).name, 'OperatorError')
    assert.match((err as Error).message, /^Operator 'out' failed: Commit of w\d+-1-0 refused$/)
  }
  await op.close()
})

test('rejects malformed restored state', async () => {
  const store = new Store()
  try {
    await openSink(fakeSink(store), { restore: { checkpointId: 7, list: [{ committable: 1 }] } })
    assert.unreachable('the restore should fail')
  } catch (err) {
    assert.match((err as Error).message, /Malformed sink state in checkpoint 7/)
  }
})

test('fails open when restored committables meet a writer that cannot commit', async () => {
  const store = new Store()
  try {
    await openSink(fakeSink(store, { plain: true }), { restore: { checkpointId: 1, list: [{ checkpointId: 1, committable: {} }] } })
    assert.unreachable('open should fail')
  } catch (err) {
    assert.match((err as Error).message, /Restored 1 sink committables, but the sink's writer cannot commit them/)
  }
})

test('is at-least-once with a writer without two-phase commit: a barrier waits for the writes', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store, { plain: true }))
  op.processElement(1)
  assert.is(await op.snapshotState(1), undefined)
  assert.equal(store.log, ['write 1'])
  await op.notifyCheckpointComplete(1)
  op.processElement(2)
  await op.finish()
  await op.close()
  assert.equal(store.log, ['write 1', 'write 2', 'finish', 'close'])
})

test('without checkpointing finishes through the writer and never pre-commits', async () => {
  const store = new Store()
  const op = await openSink(fakeSink(store), { checkpointing: false })
  await writeBatch(op, [1, 2])
  assert.is(await op.snapshotState(1), undefined)
  await op.notifyCheckpointComplete(1)
  op.processElement(3)
  await op.finish()
  await op.close()
  assert.equal(store.log, ['write 1,2', 'write 3', 'finish', 'close'])
  assert.equal(store.output, [1, 2, 3])
})

test.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BarrierAligner } from '../../../node/runtime/barrier-aligner.ts'
import type { InputGate } from '../../../node/runtime/input-gate.ts'

const test = suite('BarrierAligner')

function setup (lastCheckpointId = 0): { aligner: BarrierAligner, blocked: Set<number>, taken: number[] } {
  const blocked = new Set<number>()
  const gate = { block: (c: number) => { blocked.add(c) }, releaseAll: () => { blocked.clear() } } as unknown as InputGate
  const taken: number[] = []
  const aligner = new BarrierAligner(gate, async id => { taken.push(id) }, lastCheckpointId)
  return { aligner, blocked, taken }
}

test('holds back each channel that delivered the barrier until all open channels did, then snapshots and releases', async () => {
  const { aligner, blocked, taken } = setup()
  await aligner.onBarrier(0, 1, 3)
  await aligner.onBarrier(2, 1, 3)
  assert.equal([...blocked].sort(), [0, 2])
  assert.equal(taken, [])
  await aligner.onBarrier(1, 1, 3)
  assert.equal(taken, [1])
  assert.is(blocked.size, 0)
})

test('a channel that ends while the others wait completes the alignment', async () => {
  const { aligner, taken } = setup()
  await aligner.onBarrier(0, 4, 2)
  await aligner.onEnd(1)
  assert.equal(taken, [4])
})

test('a newer barrier abandons the checkpoint being aligned; the older one is ignored after', async () => {
  const { aligner, blocked, taken } = setup()
  await aligner.onBarrier(0, 1, 2)
  await aligner.onBarrier(1, 2, 2)
  assert.equal([...blocked], [1], 'channel 0 released when checkpoint 1 was abandoned')
  await aligner.onBarrier(1, 1, 2)
  await aligner.onBarrier(0, 2, 2)
  assert.equal(taken, [2])
})

test('barriers of checkpoints already restored or taken are ignored', async () => {
  const { aligner, blocked, taken } = setup(5)
  await aligner.onBarrier(0, 5, 1)
  await aligner.onBarrier(0, 3, 1)
  assert.equal(taken, [])
  assert.is(blocked.size, 0)
  await aligner.onBarrier(0, 6, 1)
  assert.equal(taken, [6])
})

test.run()

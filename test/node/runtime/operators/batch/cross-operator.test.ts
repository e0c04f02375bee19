/**
 * CrossOperator driven directly: the product size comes from the counts of every
 * producer subtask (not only its own rows), is refused past maxRows before any output,
 * and pairs keep (left, right) order when the left side was the broadcast one.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from '../../harness.ts'
import { CROSS_COUNT, CROSS_ROW, CrossOperator } from '../../../../../node/runtime/operators/batch/cross-operator.ts'

const Cross = suite('CrossOperator')

Cross('refuses by the whole product (counts of all subtasks), emitting nothing', async () => {
  const h = await harness(new CrossOperator({ maxRows: 10, swapped: false, fn: (a, b) => [a, b] }), [], 'cross')
  h.op.processElement('a1', 0) // this subtask holds 1 row of a side with 6 in all
  h.op.processElement2([CROSS_COUNT, 1], 0)
  h.op.processElement2([CROSS_COUNT, 5], 0)
  h.op.processElement2([CROSS_ROW, 'b1'], 0)
  h.op.processElement2([CROSS_ROW, 'b2'], 0)
  assert.throws(() => { h.op.endInput() }, (e: Error) => e.name === 'OperatorError' &&
    e.message === "Operator 'cross' failed: Cross product of 12 rows exceeds its limit of 10 rows: filter or join the inputs first, or raise the limit with cross(other, { maxRows })" &&
    (e.cause as Error).name === 'CrossLimitExceededError')
  assert.equal(h.take(), [])
})

Cross('swapped: the broadcast rows are the left side of fn', async () => {
  const h = await harness(new CrossOperator({ maxRows: 100, swapped: true, fn: (a, b) => `${String(a)}${String(b)}` }))
  h.op.processBatch(['1', '2'], [0, 0], 2)
  h.op.processElement2([CROSS_COUNT, 2], 0)
  h.op.processElement2([CROSS_ROW, 'x'], 0)
  h.op.endInput()
  assert.equal(h.take(), ['x1', 'x2'])
})

Cross.run()

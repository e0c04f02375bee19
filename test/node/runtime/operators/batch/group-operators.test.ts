/**
 * The grouping batch operators driven directly: GroupReduceOperator and CoGroupOperator
 * (null key one group, key null), what a function must return, DistinctOperator and
 * FirstNOperator passing rows on as they come, MapPartitionOperator called once.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from '../../harness.ts'
import { GroupReduceOperator } from '../../../../../node/runtime/operators/batch/group-reduce-operator.ts'
import { CoGroupOperator } from '../../../../../node/runtime/operators/batch/co-group-operator.ts'
import { DistinctOperator } from '../../../../../node/runtime/operators/batch/distinct-operator.ts'
import { FirstNOperator } from '../../../../../node/runtime/operators/batch/first-n-operator.ts'
import { MapPartitionOperator } from '../../../../../node/runtime/operators/batch/map-partition-operator.ts'

const Groups = suite('batch grouping operators')

Groups('GroupReduceOperator: null and undefined keys are one group with key null; a non-iterable result names reduceGroup', async () => {
  const h = await harness(new GroupReduceOperator(r => (r as { k: unknown }).k, (key, rows) => [{ key, n: rows.length }]))
  h.op.processBatch([{ k: null }, { k: 'a' }, {}, { k: 'a' }, { k: undefined }], [0, 0, 0, 0, 0], 5)
  h.op.endInput()
  assert.equal(h.take(), [{ key: null, n: 3 }, { key: 'a', n: 2 }])

  const bad = await harness(new GroupReduceOperator(() => 1, () => 42 as never), [], 'rg')
  bad.op.processElement('x', 0)
  assert.throws(() => { bad.op.endInput() }, (e: Error) => e.message === "Operator 'rg' failed: reduceGroup must return an iterable (an array, a Set, a generator …), got number")
})

Groups('CoGroupOperator: a key seen on one side only still gets a call, with an empty other side', async () => {
  const h = await harness(new CoGroupOperator(x => x, x => x, (key, as, bs) => [`${String(key)}:${as.length}:${bs.length}`]))
  h.op.processBatch([1, 1, 2, null], [0, 0, 0, 0], 4)
  h.op.processElement2(2, 0)
  h.op.processElement2(3, 0)
  h.op.processElement2(undefined, 0)
  h.op.endInput()
  assert.equal((h.take() as string[]).sort(), ['1:2:0', '2:1:1', '3:0:1', 'null:1:1'])
})

Groups('DistinctOperator passes the first row of each key at once; FirstNOperator stops after n; MapPartition calls once', async () => {
  const d = await harness(new DistinctOperator(r => (r as { k: unknown }).k))
  d.op.processBatch([{ k: 1, i: 0 }, { k: 1, i: 1 }, { k: [1, 2n], i: 2 }, { k: null, i: 3 }, { k: undefined, i: 4 }, { k: [1, 2n], i: 5 }], [0, 0, 0, 0, 0, 0], 6)
  assert.equal(d.take(), [{ k: 1, i: 0 }, { k: [1, 2n], i: 2 }, { k: null, i: 3 }])

  const f = await harness(new FirstNOperator(3))
  f.op.processBatch([1, 2], [0, 0], 2)
  f.op.processBatch([3, 4, 5], [0, 0, 0], 3)
  f.op.processElement(6, 0)
  assert.equal(f.take(), [1, 2, 3])

  let calls = 0
  const m = await harness(new MapPartitionOperator((vs: number[]) => { calls++; return [vs.reduce((a, b) => a + b, 0)] }))
  m.op.processBatch([1, 2], [0, 0], 2)
  m.op.processElement(3, 0)
  m.op.endInput()
  assert.equal(m.take(), [6])
  assert.is(calls, 1)
})

Groups.run()

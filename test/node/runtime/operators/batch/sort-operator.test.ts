/**
 * SortOperator driven directly: the local step tags and sorts, the merge step merges runs
 * of several subtasks with ties in (subtask, arrival) order; compareKeys' total order.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from '../../harness.ts'
import { SortOperator } from '../../../../../node/runtime/operators/batch/sort-operator.ts'
import { compareKeys } from '../../../../../node/api/data-set-keys.ts'

const Sort = suite('SortOperator')

Sort('local then merge over three runs: sorted by key, ties by subtask then arrival, desc keeps tie order', async () => {
  for (const direction of ['asc', 'desc'] as const) {
    const runs: [unknown, number, number, unknown][][] = []
    for (let s = 0; s < 3; s++) {
      const local = await harness(new SortOperator({ phase: 'local', key: v => (v as { k: number }).k, direction }))
      Object.assign(local.op.context, { subtaskIndex: s })
      const rows = Array.from({ length: 20 }, (_, i) => ({ k: (i * 3 + s) % 5, id: `${s}:${i}` }))
      local.op.processBatch(rows, rows.map(() => 0), rows.length)
      local.op.endInput()
      runs.push(local.take() as [unknown, number, number, unknown][])
    }
    const merge = await harness(new SortOperator({ phase: 'merge', key: v => v, direction }))
    // runs interleave on the merge's input, each in its own order
    const maxLen = Math.max(...runs.map(r => r.length))
    for (let i = 0; i < maxLen; i++) for (const r of [runs[2]!, runs[0]!, runs[1]!]) if (i < r.length) merge.op.processElement(r[i], 0)
    merge.op.endInput()
    const got = merge.take() as { k: number, id: string }[]
    const all = runs.flat().map(t => t[3] as { k: number, id: string })
    const order = (x: { id: string }): [number, number] => x.id.split(':').map(Number) as [number, number]
    const want = all.slice().sort((a, b) => (direction === 'asc' ? a.k - b.k : b.k - a.k) || order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1])
    assert.equal(got, want, direction)
  }
})

Sort('compareKeys: null first, numbers and bigints numerically, NaN after numbers, strings, arrays element-wise', () => {
  const xs: unknown[] = ['b', 3n, null, [1, 'a'], 2, Number.NaN, 'a', -1, [1], true, [0, 'z']]
  const got = xs.slice().sort(compareKeys)
  assert.equal(got, [null, true, -1, 2, 3n, Number.NaN, 'a', 'b', [0, 'z'], [1], [1, 'a']])
  // Array.prototype.sort never passes undefined to a comparator: compare it directly
  assert.is(compareKeys(undefined, null), 0)
  assert.is(compareKeys(undefined, -1), -1)
  assert.is(compareKeys('a', undefined), 1)
})

Sort.run()

/**
 * HashJoinOperator driven directly: either side built, input arriving interleaved, outer
 * rows and null keys, and nothing emitted before the end of input.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from '../../harness.ts'
import { HashJoinOperator, type JoinKind } from '../../../../../node/runtime/operators/batch/hash-join-operator.ts'

const HashJoin = suite('HashJoinOperator')

interface R { id: string, k: number | null }
const left: R[] = [{ id: 'l1', k: 1 }, { id: 'l2', k: 1 }, { id: 'l3', k: 2 }, { id: 'l4', k: null }]
const right: R[] = [{ id: 'r1', k: 1 }, { id: 'r2', k: 3 }, { id: 'r3', k: null }, { id: 'r4', k: 1 }]

const WANT: Record<JoinKind, string[]> = {
  inner: ['l1-r1', 'l1-r4', 'l2-r1', 'l2-r4'],
  left: ['l1-r1', 'l1-r4', 'l2-r1', 'l2-r4', 'l3-_', 'l4-_'],
  right: ['l1-r1', 'l1-r4', 'l2-r1', 'l2-r4', '_-r2', '_-r3'],
  full: ['l1-r1', 'l1-r4', 'l2-r1', 'l2-r4', 'l3-_', 'l4-_', '_-r2', '_-r3']
}

for (const kind of ['inner', 'left', 'right', 'full'] as JoinKind[]) {
  for (const buildSide of [0, 1] as const) {
    HashJoin(`${kind} join building input ${buildSide}: duplicates pair up, null keys never match, outer rows kept`, async () => {
      const h = await harness(new HashJoinOperator({
        kind, buildSide, leftKey: r => (r as R).k, rightKey: r => (r as R).k, fn: (a: R | null, b: R | null) => `${a?.id ?? '_'}-${b?.id ?? '_'}`
      }))
      // interleaved: the probe side may arrive before the build side is complete
      for (let i = 0; i < 4; i++) {
        h.op.processElement(left[i], 0)
        h.op.processElement2(right[i], 0)
      }
      assert.is(h.out.length, 0)
      await h.op.endInput()
      assert.equal((h.take() as string[]).sort(), WANT[kind].slice().sort())
    })
  }
}

HashJoin('once its build input ended it joins probe rows as they come, so a probe side past the budget does not spill', async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: `p${i}`, k: i % 100 }))
  const build = Array.from({ length: 100 }, (_, k) => ({ id: `b${k}`, k }))
  const join = (): HashJoinOperator => new HashJoinOperator({ kind: 'inner', buildSide: 1, leftKey: r => (r as R).k, rightKey: r => (r as R).k, fn: (a: R, b: R) => `${a.id}-${b.id}` })
  // the build side complete first: every probe batch is joined at once
  const h = await harness(join(), [], 'join', undefined, { memoryBudget: 64 * 1024 })
  for (const b of build) h.op.processElement2(b, 0)
  h.op.inputEnded(1)
  h.op.processBatch(rows.slice(0, 1000), [], 1000)
  assert.is(h.out.length, 1000, 'joined before the end of input')
  for (let i = 1000; i < rows.length; i += 1000) h.op.processBatch(rows.slice(i, i + 1000), [], 1000)
  await h.op.endInput()
  const out = h.take() as string[]
  assert.is(out.length, rows.length)
  assert.is(new Set(out).size, rows.length)
  assert.ok(out.every(p => p.endsWith(`-b${Number(p.slice(1, p.indexOf('-'))) % 100}`)))
  assert.is(h.op.spilledBytes, 0)
  // the same rows with the probe side first: held until the end, past the budget, spilled
  const held = await harness(join(), [], 'join', undefined, { memoryBudget: 64 * 1024 })
  for (let i = 0; i < rows.length; i += 1000) held.op.processBatch(rows.slice(i, i + 1000), [], 1000)
  for (const b of build) held.op.processElement2(b, 0)
  await held.op.endInput()
  assert.is(held.take().length, rows.length)
  assert.ok(held.op.spilledBytes > 0, 'a probe side held past the budget spills')
  await held.op.close()
  await h.op.close()
})

HashJoin.run()

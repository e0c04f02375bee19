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
      h.op.endInput()
      assert.equal((h.take() as string[]).sort(), WANT[kind].slice().sort())
    })
  }
}

HashJoin.run()

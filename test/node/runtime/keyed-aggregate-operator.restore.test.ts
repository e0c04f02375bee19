/**
 * KeyedAggregateOperator checkpoints: rolling reduce and aggregate results continue after
 * a restore at the same or another parallelism exactly as without one.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { KeyedAggregateOperator, reduceAsAggregate } from '../../../node/runtime/operators/keyed-aggregate-operator.ts'
import { BlockStore, KeyedJob, restoreAndCompare, type Step } from './restore-harness.ts'

const KeyedAggregateRestore = suite('KeyedAggregateOperator (restore)')

interface E { k: string, v: number }
const byKey = [(x: E) => x.k]

function steps (): Step<E>[] {
  const out: Step<E>[] = []
  for (let i = 0; i < 300; i++) out.push({ el: { k: `k${(i * 7) % 13}`, v: i }, ts: i })
  return out
}

const scenarios = [[1, 1], [1, 2], [2, 1], [3, 2]] as const

KeyedAggregateRestore('a rolling reduce restored at the same or another parallelism continues where it stopped', async () => {
  const make = (): KeyedAggregateOperator => new KeyedAggregateOperator(reduceAsAggregate<E>((a, b) => ({ k: a.k, v: a.v + b.v })))
  for (const [from, to] of scenarios) {
    for (const cut of [0, 1, 150, 299]) {
      const { expected, actual } = await restoreAndCompare(make, byKey, steps(), { cut, earlier: 40, from, to })
      assert.equal(actual, expected, `${from} -> ${to}, cut at ${cut}`)
    }
  }
})

KeyedAggregateRestore('a rolling aggregate with an object accumulator restores it', async () => {
  const make = (): KeyedAggregateOperator => new KeyedAggregateOperator({
    createAccumulator: () => ({ n: 0, max: Number.NEGATIVE_INFINITY, last: [] as number[] }),
    add: (x: E, a: { n: number, max: number, last: number[] }) => ({ n: a.n + 1, max: Math.max(a.max, x.v), last: [...a.last, x.v].slice(-2) }),
    getResult: (a: { n: number, max: number, last: number[] }) => `${a.n}/${a.max}/${a.last.join(',')}`
  })
  for (const [from, to] of scenarios) {
    const { expected, actual } = await restoreAndCompare(make, byKey, steps(), { cut: 123, earlier: 60, from, to })
    assert.equal(actual, expected, `${from} -> ${to}`)
  }
})

KeyedAggregateRestore('checkpoints of unchanged accumulators write nothing; a few changed keys write a small delta', async () => {
  const store = new BlockStore()
  const job = await KeyedJob.start(() => new KeyedAggregateOperator(reduceAsAggregate<E>((a, b) => ({ k: a.k, v: a.v + b.v }))), byKey, 1, { store })
  for (let i = 0; i < 20_000; i++) job.step({ el: { k: `key-${i}`, v: i }, ts: i })
  job.snapshot(1, store)
  const first = store.written
  job.complete(1)
  const unchanged = job.snapshot(2, store)
  assert.is(store.written, first)
  assert.ok(unchanged[0]!.every(c => c.bytes === undefined))
  job.complete(2)
  for (let i = 0; i < 200; i++) job.step({ el: { k: `key-${i * 100}`, v: 1 }, ts: 0 })
  job.snapshot(3, store)
  assert.ok(store.written - first < first * 0.05, `${store.written - first} B after ${first} B`)
})
KeyedAggregateRestore.run()

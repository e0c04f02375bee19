/**
 * WindowOperator checkpoints: a job snapshotted part way and restored into fresh operators
 * (at the same parallelism, 1 -> 2 and 2 -> 1) emits exactly what an uninterrupted run
 * emits, for tumbling, sliding, session and count windows, in event and processing time,
 * with allowed lateness and late data.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  CountTrigger, EventTimeSessionWindows, GlobalWindows, ProcessingTimeSessionWindows, SlidingEventTimeWindows,
  TumblingEventTimeWindows, TumblingProcessingTimeWindows, type AggregateFunction, type WindowAssigner
} from 'meshflow'
import { WindowOperator, type WindowOperatorSpec } from '../../../node/runtime/operators/window-operator.ts'
import { BlockStore, KeyedJob, restoreAndCompare, type Step } from './restore-harness.ts'

const WindowRestore = suite('WindowOperator (restore)')

interface E { k: string, ts: number, v: number }
interface Acc { sum: number, vals: number[] }

/** Keeps the values in order, so a restore that lost or reordered one shows. */
const collect: AggregateFunction<E, Acc, Acc> = {
  createAccumulator: () => ({ sum: 0, vals: [] }),
  add: (x, acc) => ({ sum: acc.sum + x.v, vals: [...acc.vals, x.v] }),
  getResult: acc => acc,
  merge: (a, b) => ({ sum: a.sum + b.sum, vals: [...a.vals, ...b.vals] })
}

function make (assigner: WindowAssigner, more: Partial<WindowOperatorSpec> = {}): () => WindowOperator {
  return () => new WindowOperator({
    assigner,
    trigger: undefined,
    aggregate: collect,
    emit: (key, w, r, out) => { out.collect({ key, start: w.start, end: w.end, r }) },
    allowedLateness: 0,
    lateDataTag: 'late',
    ...more
  })
}

const byKey = [(x: E) => x.k]
const el = (k: string, ts: number, v = 1): Step<E> => ({ el: { k, ts, v }, ts })
const wm = (w: number): Step<E> => ({ wm: w })

/** Events of eight keys over a few windows, out of order, with watermarks and late data. */
function eventTimeSteps (): Step<E>[] {
  const steps: Step<E>[] = []
  let v = 0
  for (let t = 0; t < 120; t += 3) {
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      if ((t + k.charCodeAt(0)) % 4 === 0) continue
      steps.push(el(k, t - (v % 7), v++))
    }
    if (t % 9 === 0) steps.push(wm(t - 8))
  }
  steps.push(el('a', 10, 1000), el('b', 95, 1001), wm(200), el('c', 150, 1002), wm(Number.POSITIVE_INFINITY))
  return steps
}

const scenarios = [
  { name: 'at the same parallelism', from: 1, to: 1 },
  { name: 'from 1 to 2 subtasks', from: 1, to: 2 },
  { name: 'from 2 to 1 subtask', from: 2, to: 1 },
  { name: 'from 3 to 2 subtasks', from: 3, to: 2 }
]

const assigners: Array<[string, () => WindowOperator]> = [
  ['tumbling', make(TumblingEventTimeWindows.of(20))],
  ['tumbling with allowed lateness', make(TumblingEventTimeWindows.of(20), { allowedLateness: 15 })],
  ['sliding', make(SlidingEventTimeWindows.of(30, 10))],
  ['sliding with allowed lateness', make(SlidingEventTimeWindows.of(30, 10), { allowedLateness: 12 })],
  ['session', make(EventTimeSessionWindows.withGap(4))],
  ['session with allowed lateness', make(EventTimeSessionWindows.withGap(4), { allowedLateness: 10 })]
]

for (const [name, factory] of assigners) {
  for (const s of scenarios) {
    WindowRestore(`${name} windows restored ${s.name} emit what an uninterrupted run emits`, async () => {
      const steps = eventTimeSteps()
      for (const cut of [0, 17, 60, 140, steps.length - 3]) {
        const { expected, actual } = await restoreAndCompare(factory, byKey, steps, { cut, earlier: Math.floor(cut / 2), from: s.from, to: s.to })
        assert.equal(actual, expected, `cut at ${cut}`)
      }
    })
  }
}

WindowRestore('count windows restored at another parallelism keep their counts and contents', async () => {
  const steps: Step<E>[] = []
  for (let i = 0; i < 200; i++) steps.push(el(`k${i % 7}`, i, i))
  for (const factory of [make(GlobalWindows.create(), { trigger: CountTrigger.of(3) }), make(GlobalWindows.create(), { trigger: CountTrigger.purging(4) })]) {
    for (const s of scenarios) {
      for (const cut of [0, 5, 101, 199]) {
        const { expected, actual } = await restoreAndCompare(factory, byKey, steps, { cut, earlier: 2, from: s.from, to: s.to })
        assert.equal(actual, expected, `${s.name}, cut at ${cut}`)
      }
    }
  }
})

WindowRestore('processing-time windows restored fire by the clock as if never interrupted', async () => {
  const steps: Step<E>[] = []
  for (let t = 0; t < 300; t += 7) {
    steps.push({ clock: t })
    steps.push(el(`k${t % 5}`, 0, t), el(`k${(t + 2) % 5}`, 0, t + 1))
  }
  for (const factory of [make(TumblingProcessingTimeWindows.of(50)), make(ProcessingTimeSessionWindows.withGap(9))]) {
    for (const s of scenarios) {
      for (const cut of [0, 1, 40, 85]) {
        const { expected, actual } = await restoreAndCompare(factory, byKey, steps, { cut, earlier: 10, from: s.from, to: s.to })
        assert.equal(actual, expected, `${s.name}, cut at ${cut}`)
        assert.ok(expected.length > 20)
      }
    }
  }
})

WindowRestore('a restored watermark makes late data late, and lower watermarks from restarted inputs are ignored', async () => {
  const store = new BlockStore()
  const factory = make(TumblingEventTimeWindows.of(10))
  const before = await KeyedJob.start(factory, byKey, 1, { store })
  before.run([el('a', 5), el('a', 15), wm(12)])
  assert.equal(before.lines(), ['{"key":"a","start":0,"end":10,"r":{"sum":1,"vals":[1]}} @9'])
  const snapshot = before.snapshot(1, store)
  const after = await KeyedJob.start(factory, byKey, 1, { store, from: { snapshot, checkpointId: 1 } })
  after.run([wm(3), el('a', 7, 2), wm(20)])
  assert.equal(after.lines(), [
    '[late] {"k":"a","ts":7,"v":2} @7',
    '{"key":"a","start":10,"end":20,"r":{"sum":1,"vals":[1]}} @19'
  ])
})

WindowRestore('a window that fired in one old subtask and not yet in the other fires only the keys that had not fired', async () => {
  // two subtasks with different watermarks (as after uneven input): subtask 0 has fired
  // [0, 10) and keeps it for its allowed lateness, subtask 1 has not; merged into one
  const store = new BlockStore()
  const factory = make(TumblingEventTimeWindows.of(10), { allowedLateness: 100 })
  const before = await KeyedJob.start(factory, byKey, 2, { store })
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
  before.run(keys.map((k, i) => el(k, 5, i)))
  before.ops[0]!.processWatermark(12)
  const firedBefore = before.lines()
  assert.ok(firedBefore.length > 0 && firedBefore.length < keys.length, 'some keys live in each subtask')
  const snapshot = before.snapshot(1, store)
  const after = await KeyedJob.start(factory, byKey, 1, { store, from: { snapshot, checkpointId: 1 } })
  after.run([wm(12)])
  const firedAfter = after.lines()
  assert.is(firedBefore.length + firedAfter.length, keys.length, 'every key fired once')
  after.out.length = 0
  const fired0 = keys.find(k => firedBefore.some(l => l.includes(`"key":"${k}"`)))!
  after.run([el(fired0, 6, 50)])
  assert.is(after.out.length, 1, 'a late element of a key that fired re-fires its window at once')
})
WindowRestore.run()

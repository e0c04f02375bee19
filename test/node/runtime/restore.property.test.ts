/**
 * Checkpoint restore on random input (fast-check): for random streams of elements,
 * watermarks and clock ticks, a random checkpoint (after an earlier completed one), and
 * random old and new parallelism, every keyed operator restored into fresh instances emits
 * exactly what an uninterrupted run emits.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  CountTrigger, EventTimeSessionWindows, GlobalWindows, ListStateDescriptor, MapStateDescriptor, SlidingEventTimeWindows,
  TumblingEventTimeWindows, TumblingProcessingTimeWindows, ValueStateDescriptor, type AggregateFunction,
  type KeyedProcessFunction, type ListState, type MapState, type ValueState, type WindowAssigner
} from 'meshflow'
import type { StreamOperator } from '../../../node/runtime/stream-operator.ts'
import { KeyedAggregateOperator, reduceAsAggregate } from '../../../node/runtime/operators/keyed-aggregate-operator.ts'
import { KeyedProcessOperator } from '../../../node/runtime/operators/keyed-process-operator.ts'
import { WindowOperator, type WindowOperatorSpec } from '../../../node/runtime/operators/window-operator.ts'
import { restoreAndCompare, type Step } from './restore-harness.ts'

const RestoreProperty = suite('operator restore (property)')

interface E { k: number, ts: number, v: number }
const byKey = [(x: E) => x.k]

/** Elements with bounded disorder, monotonic watermarks (some late data) and clock ticks. */
const stepsArb: fc.Arbitrary<Step<E>[]> = fc.array(fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('el' as const), k: fc.nat({ max: 9 }), dt: fc.nat({ max: 6 }), jitter: fc.nat({ max: 12 }), v: fc.integer({ min: -50, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wm' as const), lag: fc.nat({ max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), dt: fc.nat({ max: 30 }) }) }
), { minLength: 1, maxLength: 120 }).map(actions => {
  let base = 0
  let wm = Number.NEGATIVE_INFINITY
  let clock = 0
  const steps: Step<E>[] = []
  for (const a of actions) {
    if (a.t === 'el') {
      base += a.dt
      const ts = base - a.jitter
      steps.push({ el: { k: a.k, ts, v: a.v }, ts })
    } else if (a.t === 'wm') {
      wm = Math.max(wm, base - a.lag)
      steps.push({ wm })
    } else {
      clock += a.dt
      steps.push({ clock })
    }
  }
  steps.push({ clock: clock + 1000 }, { wm: Number.POSITIVE_INFINITY })
  return steps
})

const scenarioArb = (steps: number): fc.Arbitrary<{ cut: number, earlier: number, from: number, to: number }> => fc.record({
  cut: fc.nat({ max: steps }),
  earlier: fc.nat({ max: steps }),
  from: fc.integer({ min: 1, max: 3 }),
  to: fc.integer({ min: 1, max: 3 })
}).map(s => ({ ...s, earlier: Math.min(s.earlier, s.cut) }))

const listAgg: AggregateFunction<E, number[], number[]> = {
  createAccumulator: () => [],
  add: (x, acc) => [...acc, x.v],
  getResult: acc => acc,
  merge: (a, b) => [...a, ...b]
}

function windows (assigner: WindowAssigner, more: Partial<WindowOperatorSpec> = {}): () => StreamOperator {
  return () => new WindowOperator({
    assigner,
    trigger: undefined,
    aggregate: listAgg,
    emit: (key, w, r, out) => { out.collect([key, w.start, w.end, r]) },
    allowedLateness: 0,
    lateDataTag: 'late',
    ...more
  })
}

function process (): KeyedProcessFunction<E, string> {
  let n: ValueState<number>
  let recent: ListState<number>
  let signs: MapState<string, number>
  return {
    open (ctx) {
      n = ctx.getState(new ValueStateDescriptor<number>('n', 0))
      recent = ctx.getListState(new ListStateDescriptor<number>('recent').enableTimeToLive({ ttlMs: 25 }))
      signs = ctx.getMapState(new MapStateDescriptor<string, number>('signs').enableTimeToLive({ ttlMs: 40, updateType: 'OnReadAndWrite' }))
    },
    processElement (x, ctx, out) {
      n.update(n.value()! + 1)
      recent.add(x.v)
      const s = x.v < 0 ? 'neg' : 'pos'
      signs.put(s, (signs.get(s) ?? 0) + 1)
      if (x.v % 3 === 0) ctx.timerService.registerEventTimeTimer(x.ts + (x.v & 7))
      if (x.v % 4 === 0) ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 10 + (x.v & 15))
      if (x.v % 5 === 0) ctx.timerService.deleteEventTimeTimer(x.ts + 2)
      out.collect(`${x.k} ${x.v} n=${n.value()} r=${recent.get().join(',')} s=${[...signs.entries()].join(';')} wm=${ctx.timerService.currentWatermark()}`)
    },
    onTimer (t, ctx, out) {
      out.collect(`${ctx.currentKey} ${ctx.timeDomain}@${t} n=${n.value()} r=${recent.get().join(',')}`)
      if (t % 5 === 0) n.clear()
    }
  }
}

const operators: Array<[string, () => StreamOperator]> = [
  ['tumbling windows with allowed lateness', windows(TumblingEventTimeWindows.of(10), { allowedLateness: 5 })],
  ['sliding windows', windows(SlidingEventTimeWindows.of(12, 4))],
  ['session windows with allowed lateness', windows(EventTimeSessionWindows.withGap(5), { allowedLateness: 6 })],
  ['count windows', windows(GlobalWindows.create(), { trigger: CountTrigger.of(3) })],
  ['processing-time tumbling windows', windows(TumblingProcessingTimeWindows.of(20))],
  ['a keyed process function with state, TTL and timers', () => new KeyedProcessOperator(process())],
  ['a rolling reduce', () => new KeyedAggregateOperator(reduceAsAggregate<E>((a, b) => ({ k: a.k, ts: b.ts, v: a.v * 31 + b.v })))]
]

for (const [name, make] of operators) {
  RestoreProperty(`${name} restored at a random point and parallelism emit what an uninterrupted run emits`, async () => {
    await fc.assert(fc.asyncProperty(
      stepsArb.chain(steps => fc.tuple(fc.constant(steps), scenarioArb(steps.length))),
      async ([steps, scenario]) => {
        const { expected, actual } = await restoreAndCompare(make, byKey, steps, scenario)
        assert.equal(actual, expected)
      }
    ), { numRuns: 300 })
  })
}
RestoreProperty.run()

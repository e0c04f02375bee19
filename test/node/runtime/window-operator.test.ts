/**
 * WindowOperator: Flink's window semantics (DESIGN §3 "Time semantics"), checked both on
 * the operator alone (driven element by element, watermark by watermark) and end to end
 * through the DataStream API with `batchSize: 1`, so that the source emits a watermark
 * after every record and results are deterministic.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  CountTrigger, EventTimeSessionWindows, GlobalWindows, OutputTag, ProcessingTimeSessionWindows,
  SlidingEventTimeWindows, StreamEnvironment, TumblingEventTimeWindows, TumblingProcessingTimeWindows,
  WatermarkStrategy, type AggregateFunction, type WindowAssigner
} from 'meshflow'
import { WindowOperator, type WindowOperatorSpec } from '../../../node/runtime/operators/window-operator.ts'
import { harness } from './harness.ts'
import { deferred, listSource, sorted, sumOf, waitFor } from '../support.ts'

const WindowOperatorSuite = suite('WindowOperator')

interface E { k: string, ts: number, v: number }
const e = (k: string, ts: number, v = 1): E => ({ k, ts, v })

interface Fired { key: unknown, start: number, end: number, result: unknown }

function spec (assigner: WindowAssigner, more: Partial<WindowOperatorSpec> = {}): WindowOperatorSpec {
  return {
    assigner,
    trigger: undefined,
    aggregate: sumOf<E>(x => x.v),
    emit: (key, window, result, out) => { out.collect({ key, start: window.start, end: window.end, result }) },
    allowedLateness: 0,
    lateDataTag: undefined,
    ...more
  }
}

async function windowHarness (s: WindowOperatorSpec) {
  return await harness(new WindowOperator(s), [(x: E) => x.k], 'window')
}

/** Feeds `x` with its own timestamp. */
function feed (h: { op: WindowOperator }, ...xs: E[]): void {
  for (const x of xs) h.op.processElement(x, x.ts)
}

// ---------------------------------------------------------------- the operator alone

WindowOperatorSuite('fires a tumbling window when the watermark reaches end - 1, not before', async () => {
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10)))
  feed(h, e('a', 0, 1), e('a', 9, 2), e('a', 10, 4))
  h.op.processWatermark(8)
  assert.equal(h.take(), [])
  h.op.processWatermark(9)
  assert.equal(h.out.map(o => o.timestamp), [9], 'the result carries the timestamp end - 1')
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 3 }])
  h.op.processWatermark(18)
  assert.equal(h.take(), [])
  h.op.processWatermark(19)
  assert.equal(h.take(), [{ key: 'a', start: 10, end: 20, result: 4 }])
  assert.equal(h.watermarks, [8, 9, 18, 19], 'watermarks are forwarded after the windows they fire')
  assert.is(h.op.openWindows, 0)
})

WindowOperatorSuite('a window holds exactly the events with start <= ts < end', async () => {
  const h = await harness(new WindowOperator(spec(TumblingEventTimeWindows.of(10), {
    aggregate: { createAccumulator: () => [] as number[], add: (x: E, acc: number[]) => [...acc, x.ts], getResult: (acc: number[]) => acc },
  })), [(x: E) => x.k])
  feed(h, e('a', -1), e('a', 0), e('a', 9), e('a', 10), e('a', 19), e('a', 20))
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [
    { key: 'a', start: -10, end: 0, result: [-1] },
    { key: 'a', start: 0, end: 10, result: [0, 9] },
    { key: 'a', start: 10, end: 20, result: [10, 19] },
    { key: 'a', start: 20, end: 30, result: [20] }
  ])
})

WindowOperatorSuite('fires due windows in order of their end, each key separately', async () => {
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10)))
  feed(h, e('b', 25, 1), e('a', 3, 2), e('b', 14, 3), e('a', 7, 4))
  h.op.processWatermark(29)
  assert.equal(sorted(h.take()), sorted([
    { key: 'a', start: 0, end: 10, result: 6 },
    { key: 'b', start: 10, end: 20, result: 3 },
    { key: 'b', start: 20, end: 30, result: 1 }
  ]))
  feed(h, e('a', 31), e('b', 55), e('a', 42))
  h.op.processWatermark(59)
  assert.equal(h.take().map(f => (f as Fired).end), [40, 50, 60])
})

WindowOperatorSuite('sliding windows: every window [start, start + size) at multiples of the slide', async () => {
  const h = await windowHarness(spec(SlidingEventTimeWindows.of(10, 5)))
  feed(h, e('a', 7, 1), e('a', -3, 10))
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [
    { key: 'a', start: -10, end: 0, result: 10 },
    { key: 'a', start: -5, end: 5, result: 10 },
    { key: 'a', start: 0, end: 10, result: 1 },
    { key: 'a', start: 5, end: 15, result: 1 }
  ])
})

WindowOperatorSuite('sliding windows whose size is not a multiple of the slide', async () => {
  const h = await windowHarness(spec(SlidingEventTimeWindows.of(10, 4)))
  feed(h, e('a', 7))
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [
    { key: 'a', start: 0, end: 10, result: 1 },
    { key: 'a', start: 4, end: 14, result: 1 }
  ])
})

WindowOperatorSuite('sliding windows with a slide larger than the size: an element between windows is in none, and not late', async () => {
  const h = await windowHarness(spec(SlidingEventTimeWindows.of(5, 10), { lateDataTag: 'late' }))
  feed(h, e('a', 3, 1), e('a', 7, 2), e('a', 12, 4))
  h.op.processWatermark(20)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 5, result: 1 }, { key: 'a', start: 10, end: 15, result: 4 }])
  assert.is(h.side.get('late'), undefined, 'ts 7 fell between [0, 5) and [10, 15) on time')
  feed(h, e('a', 8, 8), e('a', 4, 16))
  assert.equal(h.side.get('late')?.map(o => o.value), [e('a', 8, 8), e('a', 4, 16)], 'late itself: late data')
})

WindowOperatorSuite('drops an element whose window has fired (lateness 0) or sends it to the late output', async () => {
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10), { lateDataTag: 'late' }))
  feed(h, e('a', 5, 1))
  h.op.processWatermark(9)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 1 }])
  feed(h, e('a', 9, 2), e('b', 0, 3), e('a', 10, 4))
  assert.equal(h.side.get('late')?.map(o => [o.value, o.timestamp]), [[e('a', 9, 2), 9], [e('b', 0, 3), 0]])
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [{ key: 'a', start: 10, end: 20, result: 4 }])
})

WindowOperatorSuite('allowedLateness: a late element re-fires its window with the update, then the state goes', async () => {
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10), { allowedLateness: 20, lateDataTag: 'late' }))
  feed(h, e('a', 5, 1))
  h.op.processWatermark(9)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 1 }])
  feed(h, e('a', 2, 10))
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 11 }], 're-fired at once with the updated result')
  feed(h, e('b', 3, 100))
  assert.equal(h.take(), [{ key: 'b', start: 0, end: 10, result: 100 }], 'a key new to the fired window fires on its own')
  h.op.processWatermark(28)
  feed(h, e('a', 8, 1000))
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 1011 }], 'still within end - 1 + lateness')
  assert.is(h.op.openWindows, 1)
  h.op.processWatermark(29)
  assert.is(h.op.openWindows, 0, 'the window state is dropped when the watermark passes end - 1 + lateness')
  assert.equal(h.take(), [], 'cleanup does not fire again')
  feed(h, e('a', 9, 5))
  assert.equal(h.take(), [])
  assert.equal(h.side.get('late')?.map(o => o.value), [e('a', 9, 5)])
})

WindowOperatorSuite('allowedLateness: the first element of a window the watermark has passed fires it at once', async () => {
  // Flink's EventTimeTrigger fires on an element whose window's maxTimestamp <= watermark
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10), { allowedLateness: 100 }))
  feed(h, e('a', 15, 1))
  h.op.processWatermark(14)
  assert.equal(h.take(), [])
  feed(h, e('a', 5, 10))
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 10 }])
  feed(h, e('a', 3, 100))
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 110 }])
  h.op.processWatermark(19)
  assert.equal(h.take(), [{ key: 'a', start: 10, end: 20, result: 1 }], 'the late window is not fired again by the watermark')
})

WindowOperatorSuite('session windows merge when they touch or overlap and fire at the end of the merged session', async () => {
  const h = await windowHarness(spec(EventTimeSessionWindows.withGap(10)))
  feed(h, e('a', 0, 1), e('a', 20, 2))
  h.op.processWatermark(5)
  assert.is(h.op.openWindows, 2)
  feed(h, e('a', 8, 4)) // [8, 18) touches [0, 10)
  assert.is(h.op.openWindows, 2)
  feed(h, e('a', 15, 8)) // [15, 25) bridges [0, 18) and [20, 30)
  assert.is(h.op.openWindows, 1)
  feed(h, e('a', 40, 16), e('b', 29, 32))
  h.op.processWatermark(28)
  assert.equal(h.take(), [])
  h.op.processWatermark(29)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 30, result: 15 }])
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(sorted(h.take()), sorted([{ key: 'a', start: 40, end: 50, result: 16 }, { key: 'b', start: 29, end: 39, result: 32 }]))
  assert.is(h.op.openWindows, 0)
})

WindowOperatorSuite('session windows: a late element within the lateness bridges two fired sessions and re-fires', async () => {
  const h = await windowHarness(spec(EventTimeSessionWindows.withGap(10), { allowedLateness: 100, lateDataTag: 'late' }))
  feed(h, e('a', 0, 1))
  h.op.processWatermark(-1)
  feed(h, e('a', 15, 2))
  h.op.processWatermark(14)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 10, result: 1 }])
  feed(h, e('a', 40, 4))
  h.op.processWatermark(39)
  assert.equal(h.take(), [{ key: 'a', start: 15, end: 25, result: 2 }])
  feed(h, e('a', 8, 8)) // [8, 18) touches [0, 10) and [15, 25)
  assert.equal(h.take(), [{ key: 'a', start: 0, end: 25, result: 11 }])
  h.op.processWatermark(49)
  assert.equal(h.take(), [{ key: 'a', start: 40, end: 50, result: 4 }])
  assert.is(h.op.openWindows, 2)
  h.op.processWatermark(124)
  assert.is(h.op.openWindows, 1, '[0, 25) is dropped at 24 + 100')
  feed(h, e('a', 1, 16))
  assert.equal(h.side.get('late')?.map(o => o.value), [e('a', 1, 16)])
  h.op.processWatermark(149)
  assert.is(h.op.openWindows, 0)
  assert.equal(h.take(), [])
})

WindowOperatorSuite('global windows with CountTrigger.of(n) fire every n elements and keep their contents', async () => {
  const h = await harness(new WindowOperator(spec(GlobalWindows.create(), {
    trigger: CountTrigger.of(2),
    aggregate: { createAccumulator: () => [] as number[], add: (x: E, acc: number[]) => [...acc, x.v], getResult: (acc: number[]) => acc }
  })), [(x: E) => x.k])
  feed(h, e('a', 0, 1), e('b', 0, 10), e('a', 0, 2), e('a', 0, 3), e('b', 0, 20), e('a', 0, 4), e('a', 0, 5))
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  h.op.endInput()
  const w = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }
  assert.equal(h.take(), [
    { key: 'a', ...w, result: [1, 2] },
    { key: 'b', ...w, result: [10, 20] },
    { key: 'a', ...w, result: [1, 2, 3, 4] }
  ], 'an incomplete count is never fired, not even at the end of input')
})

WindowOperatorSuite('CountTrigger.purging(n) clears the window after each firing', async () => {
  const h = await windowHarness(spec(GlobalWindows.create(), { trigger: CountTrigger.purging(2) }))
  feed(h, e('a', 0, 1), e('a', 0, 2), e('a', 0, 4), e('a', 0, 8), e('a', 0, 16))
  h.op.endInput()
  assert.equal(h.take().map(f => (f as Fired).result), [3, 12])
})

WindowOperatorSuite('processing-time tumbling windows fire by the clock at end - 1', async () => {
  const h = await windowHarness(spec(TumblingProcessingTimeWindows.of(100)))
  h.clock.now = 1_050
  feed(h, e('a', 0, 1), e('b', 999_999, 2))
  h.clock.now = 1_090
  feed(h, e('a', 0, 4))
  assert.equal(h.clock.pending, [1_099])
  h.clock.advanceTo(1_098)
  assert.equal(h.take(), [])
  h.clock.now = 1_098
  h.clock.advanceTo(1_099)
  assert.equal(sorted(h.take()), sorted([{ key: 'a', start: 1_000, end: 1_100, result: 5 }, { key: 'b', start: 1_000, end: 1_100, result: 2 }]))
  h.clock.now = 1_100
  feed(h, e('a', 0, 8))
  h.clock.now = 1_250
  feed(h, e('a', 0, 16))
  h.clock.advanceTo(1_299)
  assert.equal(h.take(), [{ key: 'a', start: 1_100, end: 1_200, result: 8 }, { key: 'a', start: 1_200, end: 1_300, result: 16 }])
  assert.is(h.op.openWindows, 0)
})

WindowOperatorSuite('processing-time windows still open fire at the end of input; watermarks do not fire them', async () => {
  const h = await windowHarness(spec(TumblingProcessingTimeWindows.of(100)))
  h.clock.now = 5_000
  feed(h, e('a', 0, 1))
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [])
  h.op.endInput()
  assert.equal(h.take(), [{ key: 'a', start: 5_000, end: 5_100, result: 1 }])
})

WindowOperatorSuite('processing-time session windows merge by arrival time and fire after the gap', async () => {
  const h = await windowHarness(spec(ProcessingTimeSessionWindows.withGap(50)))
  h.clock.now = 1_000
  feed(h, e('a', 0, 1))
  h.clock.advanceTo(1_040)
  feed(h, e('a', 0, 2))
  h.clock.advanceTo(1_088)
  assert.equal(h.take(), [])
  h.clock.advanceTo(1_089)
  assert.equal(h.take(), [{ key: 'a', start: 1_000, end: 1_090, result: 3 }])
})

WindowOperatorSuite('an event-time window over a record without a timestamp fails, naming the operator', async () => {
  const h = await windowHarness(spec(TumblingEventTimeWindows.of(10)))
  try {
    h.op.processElement(e('a', 0), Number.NEGATIVE_INFINITY)
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.is((err as Error).name, 'OperatorError')
    assert.match((err as Error).message, /Operator 'window' failed: A record has no event timestamp/)
  }
})

// ---------------------------------------------------------------- end to end

function eventTime (d: number): WatermarkStrategy<E> {
  return WatermarkStrategy.forBoundedOutOfOrderness<E>(d).withTimestampAssigner(x => x.ts)
}

const summed: AggregateFunction<E, number, number> = sumOf<E>(x => x.v)

WindowOperatorSuite('with forBoundedOutOfOrderness(d) a window fires only once an event with ts >= end + d arrived', async () => {
  // window [0, 10), d = 5: the watermark is maxTs - 6, so ts 14 gives 8 (< 9) and ts 15 gives 9
  const env = StreamEnvironment.create({ batchSize: 1 })
  const late = new OutputTag<E>('late')
  const windowed = env.fromCollection([e('a', 2, 1), e('a', 14, 2), e('a', 9, 4), e('a', 15, 8), e('a', 8, 16), e('a', 3, 32)], eventTime(5))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .sideOutputLateData(late)
    .aggregate(summed, (key, w, sum) => ({ key, start: w.start, sum }))
  const out = windowed.collect()
  const dropped = windowed.sideOutput(late).collect()
  await env.execute('bounded-out-of-orderness')
  assert.equal(out.values, [{ key: 'a', start: 0, sum: 5 }, { key: 'a', start: 10, sum: 10 }],
    'ts 9 (after ts 14) was still on time; the window fired on ts 15')
  assert.equal(dropped.values, [e('a', 8, 16), e('a', 3, 32)])
})

WindowOperatorSuite('tumbling windows are aligned to the epoch, for negative timestamps and with offsets', async () => {
  const run = async (assigner: WindowAssigner, ts: number[]): Promise<unknown[]> => {
    const env = StreamEnvironment.create({ batchSize: 1 })
    return await env.fromCollection(ts.map(t => e('a', t)), eventTime(1_000))
      .keyBy(x => x.k)
      .window(assigner)
      .process<[number, number, number[]]>((_k, w, xs, out) => { out.collect([w.start, w.end, xs.map(x => x.ts)]) })
      .executeAndCollect()
  }
  assert.equal(await run(TumblingEventTimeWindows.of(10), [-11, -10, -1, 0, 1_700_000_123_456]), [
    [-20, -10, [-11]], [-10, 0, [-10, -1]], [0, 10, [0]], [1_700_000_123_450, 1_700_000_123_460, [1_700_000_123_456]]
  ])
  assert.equal(await run(TumblingEventTimeWindows.of(60_000), [1_700_000_123_456]), [[1_700_000_100_000, 1_700_000_160_000, [1_700_000_123_456]]])
  assert.equal(await run(TumblingEventTimeWindows.of(10, 3), [-8, -7, 2, 3, 12, 13]), [
    [-17, -7, [-8]], [-7, 3, [-7, 2]], [3, 13, [3, 12]], [13, 23, [13]]
  ])
  assert.equal(await run(TumblingEventTimeWindows.of(10, -3), [-4, -3, 6, 7]), [[-13, -3, [-4]], [-3, 7, [-3, 6]], [7, 17, [7]]])
  assert.equal(await run(SlidingEventTimeWindows.of(10, 5, 2), [-4, 1, 2]), [
    [-13, -3, [-4]], [-8, 2, [-4, 1]], [-3, 7, [1, 2]], [2, 12, [2]]
  ])
})

WindowOperatorSuite('reduce, reduce with a window function, aggregate with a window function, and process', async () => {
  const env = StreamEnvironment.create({ batchSize: 1, parallelism: 2 })
  const input = env.fromCollection([e('a', 1, 1), e('b', 2, 2), e('a', 12, 3), e('a', 5, 4), e('b', 11, 5)], eventTime(100))
  const keyed = () => input.keyBy(x => x.k).window(TumblingEventTimeWindows.of(10))
  const reduced = keyed().reduce((x, y) => ({ k: x.k, ts: Math.max(x.ts, y.ts), v: x.v + y.v })).collect()
  const reducedWf = keyed().reduce((x, y) => ({ ...x, v: x.v * y.v }), (key, w, r) => `${String(key)}@${w.start}-${w.end}=${r.v}`).collect()
  const aggregated = keyed().aggregate<{ n: number, s: number }, number, string>({
    createAccumulator: () => ({ n: 0, s: 0 }),
    add: (x, acc) => ({ n: acc.n + 1, s: acc.s + x.v }),
    getResult: acc => acc.s / acc.n
  }, (key, w, avg) => `${String(key)}@${w.start}:${avg}`).collect()
  const processed = keyed().process<string>((key, w, xs, out) => {
    out.collect(`${String(key)}@${w.start}:${xs.map(x => x.v).join(',')}`)
    out.collect(`${String(key)}@${w.start}:count=${xs.length}`)
  }).collect()
  await env.execute('window-functions')
  assert.equal(sorted(reduced.values), sorted([e('a', 5, 5), e('a', 12, 3), e('b', 2, 2), e('b', 11, 5)]))
  assert.equal(sorted(reducedWf.values), sorted(['a@0-10=4', 'a@10-20=3', 'b@0-10=2', 'b@10-20=5']))
  assert.equal(sorted(aggregated.values), sorted(['a@0:2.5', 'a@10:3', 'b@0:2', 'b@10:5']))
  assert.equal(sorted(processed.values), sorted(['a@0:1,4', 'a@0:count=2', 'a@10:3', 'a@10:count=1', 'b@0:2', 'b@0:count=1', 'b@10:5', 'b@10:count=1']))
})

WindowOperatorSuite('late data goes to sideOutputLateData; allowedLateness re-fires with the update', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const late = new OutputTag<E>('late')
  const windowed = env.fromCollection([
    e('a', 3, 1), e('a', 12, 2), // wm 11: [0, 10) fires with 1
    e('a', 5, 4), // late but within lateness: re-fires [0, 10) with 5
    e('a', 25, 8), // wm 24: [10, 20) fires with 2; [0, 10) is cleaned up (9 + 15 <= 24)
    e('a', 7, 16), // too late: side output
    e('a', 18, 32) // within lateness of [10, 20) (19 + 15 > 24): re-fires with 34
  ], eventTime(0))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .allowedLateness(15)
    .sideOutputLateData(late)
    .aggregate(summed, (_k, w, sum) => [w.start, sum])
  const out = windowed.collect()
  const lateOut = windowed.sideOutput(late).collect()
  await env.execute('lateness')
  assert.equal(out.values, [[0, 1], [0, 5], [10, 2], [10, 34], [20, 8]])
  assert.equal(lateOut.values, [e('a', 7, 16)])
})

WindowOperatorSuite('window results carry the timestamp end - 1, so windows can be cascaded', async () => {
  const env = StreamEnvironment.create({ batchSize: 1, parallelism: 2 })
  const events = Array.from({ length: 40 }, (_, i) => e(i % 2 === 0 ? 'a' : 'b', i * 3, i))
  const out = await env.fromCollection(events, eventTime(4))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(summed, (key, w, sum) => ({ k: String(key), ts: w.end - 1, v: sum }))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(30))
    .aggregate(summed, (key, w, sum) => [key, w.start, sum])
    .executeAndCollect()
  const expected = new Map<string, [string, number, number]>()
  for (const x of events) {
    const start = Math.floor(x.ts / 30) * 30
    const row = expected.get(`${x.k}|${start}`) ?? [x.k, start, 0]
    row[2] += x.v
    expected.set(`${x.k}|${start}`, row)
  }
  assert.equal(sorted(out), sorted([...expected.values()]))
})

WindowOperatorSuite('a window function sees the window as { start, end } only, never the operator state', async () => {
  const env = StreamEnvironment.create()
  const keyed = env.fromCollection([e('a', 1), e('b', 2)], eventTime(0)).keyBy(x => x.k)
  const tumbling = keyed.window(TumblingEventTimeWindows.of(10)).process<unknown>((_k, w, _xs, out) => { out.collect(w) }).collect()
  const sessions = keyed.window(EventTimeSessionWindows.withGap(10)).process<unknown>((_k, w, _xs, out) => { out.collect(w) }).collect()
  const counted = keyed.countWindow(1).process<unknown>((_k, w, _xs, out) => { out.collect(w) }).collect()
  await env.execute('window-objects')
  assert.equal(tumbling.values, [{ start: 0, end: 10 }, { start: 0, end: 10 }])
  assert.equal(sorted(sessions.values), sorted([{ start: 1, end: 11 }, { start: 2, end: 12 }]))
  assert.equal(counted.values, [{ start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }, { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }])
})

WindowOperatorSuite('late elements are dropped without a late-data output', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const out = await env.fromCollection([e('a', 3, 1), e('a', 10, 2), e('a', 4, 4), e('a', 11, 8)], eventTime(0))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(summed, (_k, w, sum) => [w.start, sum])
    .executeAndCollect()
  assert.equal(out, [[0, 1], [10, 10]])
})

WindowOperatorSuite('session windows end to end, including a late event that bridges two sessions', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const out = await env.fromCollection([
    e('a', 0, 1), e('b', 1, 100), e('a', 4, 2), // a: [0, 14)
    e('a', 30, 4), // wm 29: b [1, 11) then a [0, 14) fire, in the order of their ends
    e('a', 18, 8), // late for a new session [18, 28) but within lateness: fires at once
    e('a', 50, 16), // wm 49: [30, 40) fires
    e('a', 25, 32) // [25, 35) bridges [18, 28) and [30, 40): [18, 40) fires with 44
  ], eventTime(0))
    .keyBy(x => x.k)
    .window(EventTimeSessionWindows.withGap(10))
    .allowedLateness(100)
    .aggregate(summed, (key, w, sum) => [key, w.start, w.end, sum])
    .executeAndCollect()
  assert.equal(out, [
    ['b', 1, 11, 100], ['a', 0, 14, 3], ['a', 18, 28, 8], ['a', 30, 40, 4], ['a', 18, 40, 44], ['a', 50, 60, 16]
  ])
})

WindowOperatorSuite('count windows: countWindow(n) and GlobalWindows with CountTrigger.of(n)', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const input = env.fromCollection([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(i => ({ k: i % 2 === 0 ? 'even' : 'odd', v: i })))
  const tumbling = input.keyBy(x => x.k).countWindow(2)
    .process<[string, number[]]>((key, _w, xs, out) => { out.collect([String(key), xs.map(x => x.v)]) }).collect()
  const growing = input.keyBy(x => x.k).window(GlobalWindows.create()).trigger(CountTrigger.of(3))
    .reduce((a, b) => ({ k: a.k, v: a.v + b.v }), (key, w, r) => [key, w.start, w.end, r.v]).collect()
  await env.execute('count-windows')
  assert.equal(sorted(tumbling.values), sorted([
    ['odd', [1, 3]], ['odd', [5, 7]], ['odd', [9, 11]], ['even', [2, 4]], ['even', [6, 8]]
  ]))
  assert.equal(sorted(growing.values), sorted([
    ['odd', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 9], ['odd', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 36],
    ['even', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 12]
  ]))
})

WindowOperatorSuite('the end of bounded input fires every event-time window', async () => {
  const env = StreamEnvironment.create({ batchSize: 3, parallelism: 3 })
  const events = Array.from({ length: 60 }, (_, i) => e(`k${i % 4}`, i * 7, i))
  // an out-of-orderness bound larger than the whole input: only the final watermark fires
  const out = await env.fromCollection(events, eventTime(1_000_000))
    .keyBy(x => x.k)
    .window(SlidingEventTimeWindows.of(100, 50))
    .aggregate(summed, (key, w, sum) => [key, w.start, sum])
    .executeAndCollect()
  const expected = new Map<string, [string, number, number]>()
  for (const x of events) {
    for (const start of [Math.floor(x.ts / 50) * 50, Math.floor(x.ts / 50) * 50 - 50]) {
      const id = `${x.k}|${start}`
      const cur = expected.get(id) ?? [x.k, start, 0]
      cur[2] += x.v
      expected.set(id, cur)
    }
  }
  assert.equal(sorted(out), sorted([...expected.values()]))
})

WindowOperatorSuite('processing-time windows of a bounded job fire at the end of input', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const values = Array.from({ length: 100 }, (_, i) => e(`k${i % 3}`, 0, i))
  const out = await env.fromCollection(values)
    .keyBy(x => x.k)
    .window(TumblingProcessingTimeWindows.of(60_000))
    .aggregate(summed, (key, w, sum) => ({ key, start: w.start, end: w.end, sum }))
    .executeAndCollect()
  const byKey = new Map<string, number>()
  for (const o of out) {
    assert.is(o.end - o.start, 60_000)
    assert.is(o.start % 60_000, 0)
    byKey.set(String(o.key), (byKey.get(String(o.key)) ?? 0) + o.sum)
  }
  assert.equal([...byKey.entries()].sort(), [['k0', 1683], ['k1', 1617], ['k2', 1650]])
})

WindowOperatorSuite('processing-time windows fire by the clock while the source is still open', async () => {
  const env = StreamEnvironment.create({ parallelism: 1 })
  const end = deferred()
  const fired: number[] = []
  const out = env.fromSource(listSource([[e('a', 0, 1), e('a', 0, 2), e('a', 0, 4)]], { hold: end.promise }), WatermarkStrategy.noWatermarks(), 'held')
    .keyBy(x => x.k)
    .window(TumblingProcessingTimeWindows.of(40))
    .aggregate(summed, (_k, _w, sum) => { fired.push(sum); return sum })
    .collect()
  const job = env.execute('processing-time-clock')
  try {
    await waitFor('the window to fire by the clock', () => fired.reduce((a, b) => a + b, 0) === 7, 20_000)
  } finally {
    end.resolve()
  }
  await job
  assert.is(out.values.reduce((a, b) => a + b, 0), 7)
})

WindowOperatorSuite.run()

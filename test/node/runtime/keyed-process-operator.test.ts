/**
 * KeyedProcessOperator: keyed state scoped to the current key, event-time timers fired by
 * the watermark and processing-time timers fired by the clock, side outputs, and the keyed
 * two-input variant. The operator alone first, then end to end through the API.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  OutputTag, StreamEnvironment, ValueStateDescriptor, WatermarkStrategy,
  type KeyedCoProcessFunction, type KeyedProcessFunction, type ValueState
} from 'meshflow'
import { KeyedProcessOperator } from '../../../node/runtime/operators/keyed-process-operator.ts'
import { harness } from './harness.ts'
import { deferred, listSource, sorted, waitFor } from '../support.ts'

const KeyedProcessOperatorSuite = suite('KeyedProcessOperator')

interface E { k: string, ts: number, v: number }
const e = (k: string, ts: number, v = 0): E => ({ k, ts, v })

/** Registers an event-time timer at `v` for every element, and reports each firing. */
const timerAtValue: KeyedProcessFunction<E, string> = {
  processElement (x, ctx) { ctx.timerService.registerEventTimeTimer(x.v) },
  onTimer (t, ctx, out) { out.collect(`${String(ctx.currentKey)}@${t}:${ctx.timeDomain}:${ctx.timestamp}`) }
}

KeyedProcessOperatorSuite('event-time timers fire when the watermark reaches them, earliest first, with their key', async () => {
  const h = await harness(new KeyedProcessOperator(timerAtValue), [(x: E) => x.k])
  h.op.processElement(e('a', 0, 30), 0)
  h.op.processElement(e('b', 0, 10), 0)
  h.op.processElement(e('c', 0, 20), 0)
  h.op.processElement(e('a', 0, 50), 0)
  h.op.processWatermark(9)
  assert.equal(h.take(), [])
  h.op.processWatermark(30)
  assert.equal(h.take(), ['b@10:event-time:10', 'c@20:event-time:20', 'a@30:event-time:30'])
  assert.equal(h.out, [])
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.out.map(o => o.timestamp), [50], 'timer output carries the timer time')
  assert.equal(h.watermarks, [9, 30, Number.POSITIVE_INFINITY], 'watermarks forwarded after the timers fired')
})

KeyedProcessOperatorSuite('a timer for a time the watermark already passed fires on the next watermark', async () => {
  const h = await harness(new KeyedProcessOperator(timerAtValue), [(x: E) => x.k])
  h.op.processWatermark(100)
  h.op.processElement(e('a', 0, 40), 0)
  assert.equal(h.take(), [])
  h.op.processWatermark(101)
  assert.equal(h.take(), ['a@40:event-time:40'])
})

KeyedProcessOperatorSuite('timers are deduplicated per (key, time) and can be deleted', async () => {
  const fn: KeyedProcessFunction<E, string> = {
    processElement (x, ctx) {
      if (x.v < 0) ctx.timerService.deleteEventTimeTimer(-x.v)
      else ctx.timerService.registerEventTimeTimer(x.v)
    },
    onTimer (t, ctx, out) { out.collect(`${String(ctx.currentKey)}@${t}`) }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k])
  for (const x of [e('a', 0, 10), e('a', 0, 10), e('b', 0, 10), e('a', 0, 20), e('b', 0, -10), e('a', 0, -30)]) h.op.processElement(x, 0)
  h.op.processWatermark(100)
  assert.equal(h.take(), ['a@10', 'a@20'])
})

KeyedProcessOperatorSuite('onTimer can register further timers; those due fire in the same watermark', async () => {
  const fn: KeyedProcessFunction<E, number> = {
    processElement (x, ctx) { ctx.timerService.registerEventTimeTimer(x.ts) },
    onTimer (t, ctx, out) {
      out.collect(t)
      if (t < 40) ctx.timerService.registerEventTimeTimer(t + 10)
    }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k])
  h.op.processElement(e('a', 10), 10)
  h.op.processWatermark(25)
  assert.equal(h.take(), [10, 20])
  h.op.processWatermark(100)
  assert.equal(h.take(), [30, 40])
})

KeyedProcessOperatorSuite('processing-time timers fire by the clock, per key, and can be deleted', async () => {
  const fn: KeyedProcessFunction<E, string> = {
    processElement (x, ctx) {
      const now = ctx.timerService.currentProcessingTime()
      if (x.v < 0) ctx.timerService.deleteProcessingTimeTimer(now - x.v)
      else ctx.timerService.registerProcessingTimeTimer(now + x.v)
    },
    onTimer (t, ctx, out) { out.collect(`${String(ctx.currentKey)}@${t}:${ctx.timeDomain}:${String(ctx.timestamp)}`) }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k])
  h.clock.now = 1_000
  h.op.processElement(e('a', 0, 50), 0)
  h.op.processElement(e('b', 0, 20), 0)
  h.op.processElement(e('c', 0, 30), 0)
  h.op.processElement(e('c', 0, -30), 0)
  h.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(h.take(), [], 'watermarks do not fire processing-time timers')
  h.clock.advanceTo(1_019)
  assert.equal(h.take(), [])
  h.clock.advanceTo(1_060)
  assert.equal(h.take(), ['b@1020:processing-time:undefined', 'a@1050:processing-time:undefined'])
  assert.equal(h.clock.pending, [])
})

KeyedProcessOperatorSuite('keyed state is scoped to the current key, in elements and in timers', async () => {
  let count!: ValueState<number>
  const fn: KeyedProcessFunction<E, string> = {
    open (ctx) { count = ctx.getState(new ValueStateDescriptor<number>('count', 0)) },
    processElement (x, ctx, out) {
      count.update(count.value()! + x.v)
      ctx.timerService.registerEventTimeTimer(100)
      out.collect(`${x.k}=${count.value()}`)
    },
    onTimer (_t, ctx, out) { out.collect(`timer ${String(ctx.currentKey)}=${count.value()}`) }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k])
  for (const x of [e('a', 0, 1), e('b', 0, 10), e('a', 0, 2), e('b', 0, 20), e('c', 0, 0)]) h.op.processElement(x, 0)
  h.op.processWatermark(100)
  assert.equal(h.take(), ['a=1', 'b=10', 'a=3', 'b=30', 'c=0', 'timer a=3', 'timer b=30', 'timer c=0'])
})

KeyedProcessOperatorSuite('side outputs carry the element timestamp; the context exposes key, timestamp and watermark', async () => {
  const fn: KeyedProcessFunction<E, string> = {
    processElement (x, ctx, out) {
      if (x.v % 2 === 0) ctx.output(new OutputTag<number>('even'), x.v)
      else out.collect(`${String(ctx.currentKey)}:${ctx.timestamp}:${ctx.timerService.currentWatermark()}`)
    }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k])
  h.op.processWatermark(3)
  h.op.processElement(e('a', 5, 1), 5)
  h.op.processElement(e('b', 6, 2), 6)
  h.op.processElement(e('a', 7, 4), 7)
  assert.equal(h.take(), ['a:5:3'])
  assert.equal(h.side.get('even'), [{ value: 2, timestamp: 6 }, { value: 4, timestamp: 7 }])
})

KeyedProcessOperatorSuite('two keyed inputs share keyed state and timers per key', async () => {
  let last!: ValueState<string>
  const fn: KeyedCoProcessFunction<E, { id: string, label: string }, string> = {
    open (ctx) { last = ctx.getState(new ValueStateDescriptor<string>('label')) },
    processElement1 (x, ctx, out) { out.collect(`${x.k}:${x.v}:${last.value() ?? '-'}`); ctx.timerService.registerEventTimeTimer(x.ts) },
    processElement2 (l) { last.update(l.label) },
    onTimer (t, ctx, out) { out.collect(`timer ${String(ctx.currentKey)}@${t}:${last.value() ?? '-'}`) }
  }
  const h = await harness(new KeyedProcessOperator(fn), [(x: E) => x.k, (l: { id: string }) => l.id])
  h.op.processElement(e('a', 1, 1), 1)
  h.op.processElement2({ id: 'a', label: 'A' }, 2)
  h.op.processElement2({ id: 'b', label: 'B' }, 3)
  h.op.processElement(e('a', 4, 2), 4)
  h.op.processElement(e('b', 5, 3), 5)
  h.op.processElement(e('c', 6, 4), 6)
  h.op.processWatermark(10)
  assert.equal(h.take(), ['a:1:-', 'a:2:A', 'b:3:B', 'c:4:-', 'timer a@1:A', 'timer a@4:A', 'timer b@5:B', 'timer c@6:-'])
})

KeyedProcessOperatorSuite('an error in user code names the operator and its uid', async () => {
  const h = await harness(new KeyedProcessOperator({ processElement () { throw new Error('boom') } }), [(x: E) => x.k], 'enrich', 'enrich-v1')
  assert.throws(() => { h.op.processElement(e('a', 0), 0) }, (err: Error) => err.name === 'OperatorError' && err.message === "Operator 'enrich' (uid enrich-v1) failed: boom")
})

// ---------------------------------------------------------------- end to end

KeyedProcessOperatorSuite('end to end: event-time timers fire in order as the watermark advances, and at the end', async () => {
  const env = StreamEnvironment.create({ batchSize: 1, parallelism: 2 })
  const events = [e('a', 1), e('b', 3), e('a', 12), e('c', 14), e('b', 30), e('a', 31)]
  // a timer 10 ms after each element, reporting the watermark it fired at
  const fn: KeyedProcessFunction<E, [string, number, number]> = {
    processElement (x, ctx) { ctx.timerService.registerEventTimeTimer(x.ts + 10) },
    onTimer (t, ctx, out) { out.collect([String(ctx.currentKey), t, ctx.timerService.currentWatermark()]) }
  }
  const out = await env.fromCollection(events, WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts))
    .keyBy(x => x.k)
    .process(fn)
    .executeAndCollect()
  const byKey = (k: string): [string, number, number][] => out.filter(o => o[0] === k)
  assert.equal(byKey('a'), [['a', 11, 11], ['a', 22, 29], ['a', 41, Number.POSITIVE_INFINITY]])
  assert.equal(byKey('b'), [['b', 13, 13], ['b', 40, Number.POSITIVE_INFINITY]])
  assert.equal(byKey('c'), [['c', 24, 29]])
})

KeyedProcessOperatorSuite('end to end: processing-time timers fire while the job runs', async () => {
  const env = StreamEnvironment.create({ parallelism: 2, chaining: false })
  const end = deferred()
  const fired: string[] = []
  const fn: KeyedProcessFunction<E, string> = {
    processElement (x, ctx) { ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 20 * x.v) },
    onTimer (_t, ctx, out) { fired.push(String(ctx.currentKey)); out.collect(`${String(ctx.currentKey)}:${ctx.timeDomain}`) }
  }
  const out = env.fromSource(listSource([[e('a', 0, 1), e('b', 0, 2), e('c', 0, 3)]], { hold: end.promise }), WatermarkStrategy.noWatermarks(), 'held')
    .keyBy(x => x.k)
    .process(fn)
    .collect()
  const job = env.execute('processing-time-timers')
  try {
    await waitFor('three processing-time timers', () => fired.length === 3)
    await waitFor('their output to reach the sink', () => out.values.length === 3)
  } finally {
    end.resolve()
  }
  await job
  assert.equal(sorted(out.values), ['a:processing-time', 'b:processing-time', 'c:processing-time'])
})

KeyedProcessOperatorSuite.run()

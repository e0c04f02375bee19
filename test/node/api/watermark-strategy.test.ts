/**
 * WatermarkStrategy and how watermarks flow (DESIGN §3): the generated watermark, the
 * minimum over the inputs of an operator (union of sources, parallel source subtasks),
 * and idleness (`withIdleness`), which keeps a source subtask without data from holding
 * back the windows downstream.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  OutputTag, StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy,
  type KeyedProcessFunction, type ProcessFunction
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { deferred, delay, listSource, sumOf, waitFor } from '../support.ts'

const WatermarkStrategySuite = suite('WatermarkStrategy')

interface E { k: string, ts: number, v: number }
const e = (k: string, ts: number, v = 1): E => ({ k, ts, v })

/** Reports, for each element, the watermark the operator had when the element arrived. */
function watermarkSeen (): ProcessFunction<E, [number, number]> {
  return { processElement (x, ctx, out) { out.collect([x.ts, ctx.timerService.currentWatermark()]) } }
}

async function rejection (p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject')
}

WatermarkStrategySuite('forBoundedOutOfOrderness(d) emits maxSeenTs - d - 1 after each batch', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const out = await env.fromCollection([e('a', 10), e('a', 5), e('a', 20), e('a', 19), e('a', 30)],
    WatermarkStrategy.forBoundedOutOfOrderness<E>(3).withTimestampAssigner(x => x.ts))
    .process(watermarkSeen())
    .executeAndCollect()
  // each element sees the watermark emitted after the one before it
  assert.equal(out, [[10, Number.NEGATIVE_INFINITY], [5, 6], [20, 6], [19, 16], [30, 16]])
})

WatermarkStrategySuite('forMonotonousTimestamps emits maxSeenTs - 1; noWatermarks emits none before the end', async () => {
  const env = StreamEnvironment.create({ batchSize: 2 })
  const mono = env.fromCollection([e('a', 1), e('a', 2), e('a', 3), e('a', 4), e('a', 5)],
    WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts)).process(watermarkSeen()).collect()
  const none = env.fromCollection([e('a', 1), e('a', 2), e('a', 3)]).process(watermarkSeen()).collect()
  await env.execute('strategies')
  assert.equal(mono.values, [[1, Number.NEGATIVE_INFINITY], [2, Number.NEGATIVE_INFINITY], [3, 1], [4, 1], [5, 3]], 'one watermark per batch of 2')
  assert.equal(none.values.map(([, w]) => w), [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])
})

WatermarkStrategySuite('rejects a negative out-of-orderness and a non-positive idle timeout', () => {
  assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(-1), /non-negative number of milliseconds, got -1/)
  assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(0), /withIdleness needs a positive number of milliseconds, got 0/)
})

WatermarkStrategySuite('a union of two sources: the watermark is the minimum of both, so the slower one loses no data', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const strategy = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts)
  const fastDone = deferred()
  // the slow source emits b@20, then waits until the fast one's last record (ts 350) went
  // through; if the watermark followed the fast source, [0, 100) would fire without b@30 and b@40
  const fast = env.fromSource(listSource([[e('a', 10), e('a', 150), e('a', 250), e('a', 350)]]), strategy, 'fast')
  const slow = env.fromSource(listSource([[e('b', 20), e('b', 30), e('b', 40)]], { gates: new Map([['0:1', fastDone.promise]]) }), strategy, 'slow')
  const late = new OutputTag<E>('late')
  const seen: [number, number][] = []
  const observer: ProcessFunction<E, E> = {
    processElement (x, ctx, out) {
      seen.push([x.ts, ctx.timerService.currentWatermark()])
      if (x.ts === 350) fastDone.resolve()
      out.collect(x)
    }
  }
  const windowed = fast.union(slow)
    .process(observer)
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(100))
    .sideOutputLateData(late)
    .aggregate(sumOf<E>(x => x.ts), (_k, w, sum) => [w.start, sum])
  const out = windowed.collect()
  const lateOut = windowed.sideOutput(late).collect()
  await env.execute('union-min')
  assert.equal(lateOut.values, [])
  assert.equal(out.values, [[0, 100], [100, 150], [200, 250], [300, 350]])
  const at350 = seen.find(([ts]) => ts === 350)![1]
  assert.ok(at350 <= 19, `the slow source (at 20) held the watermark back: it was ${at350} when ts 350 arrived`)
})

WatermarkStrategySuite('a parallel source: the watermark downstream is the minimum over its subtasks', async () => {
  const env = StreamEnvironment.create({ batchSize: 1, parallelism: 2 })
  const fastDone = deferred()
  const source = listSource([
    [e('a', 10), e('a', 150), e('a', 250), e('a', 350)],
    [e('b', 20), e('b', 30), e('b', 40)]
  ], { gates: new Map([['1:1', fastDone.promise]]) })
  const observed: [number, number][] = []
  const fn: KeyedProcessFunction<E, string> = {
    processElement (x, ctx, out) {
      const wm = ctx.timerService.currentWatermark()
      observed.push([x.ts, wm])
      if (x.ts <= wm) out.collect(`late ${x.ts}`)
      if (x.ts === 350) fastDone.resolve()
    }
  }
  const out = await env.fromSource(source, WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts), 'parallel')
    .keyBy(() => 'all')
    .process(fn).setParallelism(1)
    .executeAndCollect()
  assert.equal(out, [])
  assert.is(observed.length, 7)
  const at350 = observed.find(([ts]) => ts === 350)![1]
  assert.ok(at350 <= 19, `subtask 1 (at 20) held the watermark back: it was ${at350} when ts 350 arrived`)
})

/**
 * Runs keyBy -> tumbling 100 ms windows over a source of parallelism 2 whose second subtask
 * has no data (one split only) and never ends. Chaining is off so that window results reach
 * the sink through a channel. Returns what it saw, after cancelling the job.
 */
async function idleSubtaskJob (strategy: WatermarkStrategy<E>, untilFired: boolean): Promise<{ out: unknown[], added: number }> {
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 1, chaining: false })
  let added = 0
  const windowed = env.fromSource(listSource([[e('a', 10, 1), e('a', 20, 2), e('a', 150, 4)]], { hold: 'forever' }), strategy, 'one-split')
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(100))
    .aggregate({ ...sumOf<E>(x => x.v), add: (x: E, acc: number) => { added++; return acc + x.v } }, (k, w, sum) => [k, w.start, sum])
  const out = windowed.collect()
  const ac = new AbortController()
  const job = env.execute('idle-subtask', { signal: ac.signal })
  try {
    if (untilFired) {
      await waitFor('the window [0, 100) to fire', () => out.values.length > 0, 20_000)
    } else {
      await waitFor('all three records to reach the window operator', () => added === 3, 20_000)
      await delay(400) // eight times the idle timeout of the case with idleness
    }
  } finally {
    ac.abort()
  }
  const err = await rejection(job)
  assert.is(err.name, 'JobCancelledError')
  return { out: out.values, added }
}

WatermarkStrategySuite('withIdleness: a source subtask without data does not hold back the windows', async () => {
  const strategy = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts).withIdleness(50)
  const { out } = await idleSubtaskJob(strategy, true)
  assert.equal(out, [['a', 0, 3]])
})

WatermarkStrategySuite('without withIdleness the subtask without data holds back the watermark', async () => {
  const strategy = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts)
  const { out, added } = await idleSubtaskJob(strategy, false)
  assert.is(added, 3)
  assert.equal(out, [], 'no window fires while one subtask has no watermark')
})

/** The same with datagen: one split for a source of parallelism 2, at a limited rate. */
async function datagenIdle (idleness: boolean): Promise<{ out: [number, number][], generated: number }> {
  const env = StreamEnvironment.create({ parallelism: 2, chaining: false })
  let generated = 0
  let strategy = WatermarkStrategy.forMonotonousTimestamps<{ ts: number }>().withTimestampAssigner(x => x.ts)
  if (idleness) strategy = strategy.withIdleness(50)
  const out = env.fromSource(datagen({ splits: 1, ratePerSec: 5_000, generate: i => { generated++; return { ts: i } } }), strategy, 'gen')
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(100))
    .aggregate({ createAccumulator: () => 0, add: (_x: { ts: number }, n: number) => n + 1, getResult: (n: number) => n }, (_k, w, n) => [w.start, n] as [number, number])
    .collect()
  const ac = new AbortController()
  const job = env.execute('datagen-idle', { signal: ac.signal })
  try {
    if (idleness) await waitFor('two windows to fire', () => out.values.length >= 2, 20_000)
    else await waitFor('1000 records', () => generated >= 1_000, 20_000)
  } finally {
    ac.abort()
  }
  assert.is((await rejection(job)).name, 'JobCancelledError')
  return { out: out.values, generated }
}

WatermarkStrategySuite('withIdleness with datagen splits fewer than the parallelism: windows fire', async () => {
  const { out } = await datagenIdle(true)
  assert.equal(out.slice(0, 2), [[0, 100], [100, 100]])
})

WatermarkStrategySuite('without withIdleness, datagen splits fewer than the parallelism hold every window back', async () => {
  const { out, generated } = await datagenIdle(false)
  assert.ok(generated >= 1_000)
  assert.equal(out, [], `${generated} records (ts up to ${generated - 1}) and no window fired`)
})

WatermarkStrategySuite.run()

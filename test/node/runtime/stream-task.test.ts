/**
 * StreamTask, through jobs: how a task moves output produced outside the record path
 * (by watermarks, timers and the end of input) to the sinks chained after it, whether a
 * busy task lets timers run, and how failures of a source's reader are reported.
 *
 * Tests marked KNOWN BUG fail against the current runtime and are skipped; each names the
 * code at fault. Un-skip them with the fix.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type KeyedProcessFunction
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { deferred, listSource, sumOf, waitFor } from '../support.ts'

const StreamTaskSuite = suite('StreamTask')

interface E { k: string, ts: number, v: number }
const e = (k: string, ts: number, v = 1): E => ({ k, ts, v })

async function rejection (p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject')
}

StreamTaskSuite('a sink chained after a window receives what the final watermark fired', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = await env.fromCollection([e('a', 1, 1), e('b', 2, 2), e('a', 15, 4)], WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts))
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(sumOf<E>(x => x.v), (k, w, s) => `${String(k)}@${w.start}=${s}`)
    .executeAndCollect()
  assert.equal(out.sort(), ['a@0=1', 'a@10=4', 'b@0=2'])
})

StreamTaskSuite('a sink chained after a window receives results fired by a watermark while the job runs (with chaining off)', async () => {
  const env = StreamEnvironment.create({ batchSize: 1, chaining: false })
  const end = deferred()
  const out = env.fromSource(listSource([[e('a', 10, 1), e('a', 150, 2)]], { hold: end.promise }),
    WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts), 'held')
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(100))
    .aggregate(sumOf<E>(x => x.v), (_k, w, s) => [w.start, s])
    .collect()
  const job = env.execute('watermark-fired')
  try {
    await waitFor('[0, 100) to reach the sink', () => out.values.length === 1, 3_000)
  } finally {
    end.resolve()
  }
  await job
  assert.equal(out.values, [[0, 1], [100, 2]])
})

// KNOWN BUG (node/runtime/stream-task.ts, #runInputs, the 'watermark' and 'status' cases):
// output that processing a watermark produces (window results, event-time timers) goes to a
// chained sink's buffer, and nothing calls the sink's flushBatch until the next record batch
// arrives or the input ends. In an unbounded job the results of the last windows never
// reach the sink. Same for processing-time timers: local-executor.ts `afterCallback` flushes
// the record writers only, not chained sinks.
StreamTaskSuite.skip('KNOWN BUG: a chained sink receives window results fired by a watermark while the job runs', async () => {
  const env = StreamEnvironment.create({ batchSize: 1 })
  const end = deferred()
  const out = env.fromSource(listSource([[e('a', 10, 1), e('a', 150, 2)]], { hold: end.promise }),
    WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts), 'held')
    .keyBy(x => x.k)
    .window(TumblingEventTimeWindows.of(100))
    .aggregate(sumOf<E>(x => x.v), (_k, w, s) => [w.start, s])
    .collect()
  const job = env.execute('watermark-fired-chained')
  try {
    await waitFor('[0, 100) to reach the chained sink', () => out.values.length === 1, 2_000)
  } finally {
    end.resolve()
    await job
  }
})

StreamTaskSuite.skip('KNOWN BUG: a chained sink receives the output of processing-time timers while the job runs', async () => {
  const env = StreamEnvironment.create()
  const end = deferred()
  const fn: KeyedProcessFunction<E, string> = {
    processElement (_x, ctx) { ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 10) },
    onTimer (_t, ctx, out) { out.collect(String(ctx.currentKey)) }
  }
  const out = env.fromSource(listSource([[e('a', 0)]], { hold: end.promise }), WatermarkStrategy.noWatermarks(), 'held')
    .keyBy(x => x.k)
    .process(fn)
    .collect()
  const job = env.execute('timer-output-chained')
  try {
    await waitFor('the timer output to reach the chained sink', () => out.values.length === 1, 2_000)
  } finally {
    end.resolve()
    await job
  }
})

// KNOWN BUG (node/runtime/stream-task.ts, the loops of #readSource and #runInputs): while
// data keeps flowing a task only ever awaits microtasks (resolved credit, synchronous
// sinks), so the event loop never reaches timers or I/O: processing-time timers and
// windows never fire, and a cancel triggered by a timer never comes. A task should yield
// to the macrotask queue now and then (e.g. `await new Promise(setImmediate)` every few ms).
StreamTaskSuite.skip('KNOWN BUG: processing-time timers fire while an unbounded source keeps data flowing', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const started = Date.now()
  let fired = 0
  const ac = new AbortController()
  const fn: KeyedProcessFunction<number, number> = {
    processElement (x, ctx) { if (x < 10) ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 10) },
    onTimer () { fired++ }
  }
  env.fromSource(datagen({
    generate: i => {
      if (fired > 0) ac.abort()
      if (Date.now() - started > 2_000) throw new Error(`starved: no processing-time timer fired in 2 s (timers fired: ${fired})`)
      return i
    }
  }), WatermarkStrategy.noWatermarks(), 'busy')
    .keyBy(x => x % 10)
    .process(fn)
    .sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) })
  const err = await rejection(env.execute('busy', { signal: ac.signal }))
  assert.is(err.name, 'JobCancelledError', err.message)
})

// KNOWN BUG (node/runtime/stream-task.ts, #readSource: `reader.pollNext(max)` is not wrapped):
// an error thrown by a source reader (a datagen generate function, a connector) fails the
// job with the bare cause, without naming the source operator as every other operator does.
StreamTaskSuite.skip('KNOWN BUG: an error thrown by a source reader names the source operator', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromSource(datagen({ count: 10, generate: i => { if (i === 5) throw new Error('cannot generate 5'); return i } }), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers-1')
    .collect()
  const err = await rejection(env.execute('gen'))
  assert.is(err.name, 'JobExecutionError')
  assert.is(err.message, "Job 'gen' failed: Operator 'numbers' (uid numbers-1) failed: cannot generate 5")
})

StreamTaskSuite('an error in a timestamp assigner names the source operator', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1, 2], WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner(x => { if (x === 2) throw new Error('no time for 2'); return x }), 'nums')
    .collect()
  const err = await rejection(env.execute('ts'))
  assert.is(err.message, "Job 'ts' failed: Operator 'nums' failed: no time for 2")
})

StreamTaskSuite.run()

/**
 * StreamTask, through jobs: how a task moves output produced outside the record path
 * (by watermarks, timers and the end of input) to the sinks chained after it, whether a
 * busy task lets timers run, and how failures of a source's reader are reported.

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
    await waitFor('[0, 100) to reach the sink', () => out.values.length === 1, 20_000)
  } finally {
    end.resolve()
  }
  await job
  assert.equal(out.values, [[0, 1], [100, 2]])
})

StreamTaskSuite('a chained sink receives window results fired by a watermark while the job runs', async () => {
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
    await waitFor('[0, 100) to reach the chained sink', () => out.values.length === 1, 20_000)
  } finally {
    end.resolve()
    await job
  }
})

StreamTaskSuite('a chained sink receives the output of processing-time timers while the job runs', async () => {
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
    await waitFor('the timer output to reach the chained sink', () => out.values.length === 1, 20_000)
  } finally {
    end.resolve()
    await job
  }
})

StreamTaskSuite('processing-time timers fire while an unbounded source keeps data flowing', async () => {
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
      if (Date.now() - started > 30_000) throw new Error(`starved: no processing-time timer fired in 30 s (timers fired: ${fired})`)
      return i
    }
  }), WatermarkStrategy.noWatermarks(), 'busy')
    .keyBy(x => x % 10)
    .process(fn)
    .sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) })
  const err = await rejection(env.execute('busy', { signal: ac.signal }))
  assert.is(err.name, 'JobCancelledError', err.message)
})

StreamTaskSuite('an error thrown by a source reader names the source operator', async () => {
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

/**
 * StreamTask, through jobs: how a task moves output produced outside the record path
 * (by watermarks, timers and the end of input) to the sinks chained after it, whether a
 * busy task lets timers run, and how failures of a source's reader are reported.

 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type KeyedProcessFunction, type Sink, type SinkWriter
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { deferred, delay, listSource, sumOf, waitFor } from '../support.ts'

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

StreamTaskSuite('a batch a pending read delivered while the source snapshotted is emitted before the next snapshot counts it', async () => {
  // The source waits at item 3 (a gate whose promise advances the position as it delivers).
  // The checkpoint taken while it waits is slow (its sink pre-commit opens the gate, then
  // takes longer than the timeout), so the next trigger queues meanwhile. That snapshot must
  // not count item 3 as read before item 3 went out ahead of its barrier: a restore from it
  // would skip item 3.
  const gate = deferred()
  const afterSlow = deferred()
  const items = Array.from({ length: 12 }, (_, i) => i)
  const env = StreamEnvironment.create({ parallelism: 1, batchSize: 1 })
  env.enableCheckpointing(20, { timeoutMs: 150 })
  env.setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 10 })
  const committed = new Map<string, number[]>()
  let slow: 'waiting' | 'running' | 'done' = 'waiting'
  let failed = false
  const sink: Sink<number> = {
    createWriter: (): SinkWriter<number> => {
      let pending: number[] = []
      return {
        write: values => { pending.push(...values) },
        finish: () => {},
        close: () => { pending = [] },
        prepareCommit: async () => {
          if (slow === 'waiting' && pending.includes(2)) {
            slow = 'running'
            gate.resolve()
            await delay(600)
            slow = 'done'
          }
          const c = { key: `${Math.random()}`, values: pending }
          pending = []
          return [c]
        },
        commit: committables => {
          for (const c of committables as { key: string, values: number[] }[]) committed.set(c.key, c.values)
          if (slow === 'done') afterSlow.resolve()
        }
      }
    }
  }
  env.fromSource(listSource([items], { gates: new Map([['0:3', gate.promise], ['0:6', afterSlow.promise]]) }), WatermarkStrategy.noWatermarks<number>(), 'gated')
    .map(n => {
      if (n === 6 && !failed) { failed = true; throw new Error('injected failure after the checkpoint that followed the slow one') }
      return n
    })
    .sinkTo(sink)
  await env.execute('pending-read-snapshot')
  assert.ok(failed, 'the failure was injected')
  assert.equal([...committed.values()].flat().sort((a, b) => a - b), items, 'every item exactly once')
})

StreamTaskSuite.run()

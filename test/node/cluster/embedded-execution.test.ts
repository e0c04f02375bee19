import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { fileSink } from 'meshflow/connectors/files'

const test = suite('executeEmbedded (StreamEnvironment.execute with checkpoints)')

interface Event { key: number, ts: number, v: number }

const COUNT = 12_000
const KEYS = 7
const WINDOW = 1_000

function event (i: number): Event {
  return { key: (i * 7919) % KEYS, ts: i * 10, v: (i % 13) + 1 }
}

/** Revenue per (key, window), computed directly. */
function expected (count: number): string[] {
  const sums = new Map<string, number>()
  for (let i = 0; i < count; i++) {
    const e = event(i)
    const start = Math.floor(e.ts / WINDOW) * WINDOW
    const k = `${e.key}:${start}`
    sums.set(k, (sums.get(k) ?? 0) + e.v)
  }
  return [...sums].map(([k, sum]) => {
    const [key, start] = k.split(':').map(Number)
    return JSON.stringify({ key, start, sum })
  }).sort()
}

async function committedLines (dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter(n => !n.startsWith('.'))
  const lines: string[] = []
  for (const n of names) {
    for (const line of (await readFile(join(dir, n), 'utf8')).split('\n')) if (line !== '') lines.push(JSON.stringify(JSON.parse(line)))
  }
  return lines.sort()
}

/**
 * The job of these tests: a rate-limited source (so checkpoints happen while it runs), a map
 * that may fail, keyed tumbling windows, and the exactly-once file sink.
 */
function build (env: StreamEnvironment, out: string, failWhen: (seen: number) => boolean): void {
  let seen = 0
  env.fromSource(datagen({ count: COUNT, generate: event, ratePerSec: 24_000 }),
    WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner(e => e.ts), 'events')
    .map(e => {
      if (failWhen(++seen)) throw new Error(`injected failure after ${seen} records`)
      return e
    }).uid('maybe-fail')
    .keyBy(e => e.key)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .aggregate({ createAccumulator: () => 0, add: (e: Event, acc: number) => acc + e.v, getResult: (acc: number) => acc },
      (key, window, sum) => ({ key, start: window.start, sum }))
    .uid('sum-per-key')
    .sinkTo(fileSink({ path: out, format: 'jsonl' }))
}

async function withDir (fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meshflow-ckpt-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('takes checkpoints while the job runs and commits the output exactly once at the end', async () => {
  await withDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    build(env, dir, () => false)
    const result = await env.execute('checkpointed')
    assert.ok((result.checkpoints ?? 0) >= 3, `expected several checkpoints, got ${result.checkpoints}`)
    assert.is(result.restarts, 0)
    assert.equal(await committedLines(dir), expected(COUNT))
  })
})

test('a task that fails once restarts from the latest checkpoint: output exactly once', async () => {
  await withDir(async dir => {
    let failed = false
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    build(env, dir, seen => {
      if (failed || seen < 2_500) return false
      failed = true
      return true
    })
    const result = await env.execute('fails-once')
    assert.ok(failed, 'the failure was injected')
    assert.is(result.restarts, 1)
    assert.equal(await committedLines(dir), expected(COUNT))
  })
})

test('fails several times at different points and still commits every record exactly once', async () => {
  await withDir(async dir => {
    const failures = [1_000, 3_000, 4_500]
    let count = 0
    const env = StreamEnvironment.create({ parallelism: 3, checkpointIntervalMs: 40 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 10 })
    build(env, dir, seen => {
      if (count < failures.length && seen >= failures[count]!) { count++; return true }
      return false
    })
    const result = await env.execute('fails-thrice')
    assert.is(result.restarts, 3)
    assert.equal(await committedLines(dir), expected(COUNT))
    assert.equal((await readdir(dir)).filter(n => n.startsWith('.')), [], 'no hidden part file of the failed attempts is left')
  })
})

test('gives up when the restart strategy allows no more restarts, naming the operator and the strategy', async () => {
  await withDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 50 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 5 })
    // every attempt fails: the count goes on across attempts, and each one sees 500 more
    build(env, dir, seen => seen % 500 === 0)
    try {
      await env.execute('always-fails')
      assert.unreachable('the job must fail')
    } catch (err) {
      const message = (err as Error).message
      assert.match(message, /Operator 'map' \(uid maybe-fail\) failed: injected failure/)
      assert.match(message, /gave up after 2 restarts/)
    }
    assert.equal(await committedLines(dir), [], 'nothing of a failed job is committed')
  })
})

test('cancelling during the restart delay ends the job at once with a JobCancelledError', async () => {
  await withDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 50 })
    // an hour's delay: only the cancel can end the wait
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 3_600_000 })
    const controller = new AbortController()
    const reason = new Error('cancelled by the test')
    build(env, dir, seen => {
      if (seen !== 100) return false
      setTimeout(() => { controller.abort(reason) }, 50) // while the job waits to restart
      return true
    })
    try {
      await env.execute('cancel-in-delay', { signal: controller.signal })
      assert.unreachable('the job must be cancelled')
    } catch (err) {
      assert.is((err as Error).name, 'JobCancelledError')
      assert.is((err as Error).cause, reason)
    }
  })
})

test('without a restart strategy a failing job with checkpoints fails at once', async () => {
  await withDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 50 })
    env.setRestartStrategy({ kind: 'none' })
    build(env, dir, seen => seen === 100)
    try {
      await env.execute('no-restarts')
      assert.unreachable('the job must fail')
    } catch (err) {
      assert.match((err as Error).message, /injected failure after 100 records/)
    }
  })
})

test('checkpoints complete under backpressure: the barrier waits only behind the bounded channel buffers', async () => {
  // a sink that takes 4 ms per batch holds the whole pipeline back; channels hold 2 batches
  // of 64 records, so a barrier queues behind at most a few hundred records per channel
  let written = 0
  const slowSink = {
    createWriter: () => ({
      write: async (values: unknown[]) => { written += values.length; await new Promise(resolve => setTimeout(resolve, 4)) },
      finish: () => {},
      close: () => {}
    })
  }
  const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100, batchSize: 64, channelCapacity: 2 })
  env.fromSource(datagen({ count: 20_000, generate: event }), WatermarkStrategy.noWatermarks<Event>(), 'fast')
    .keyBy(e => e.key).reduce((a, b) => ({ ...b, v: a.v + b.v })).uid('running-sum')
    .sinkTo(slowSink)
  const result = await env.execute('backpressured')
  assert.is(written, 20_000)
  // the sink needs ≥ 0.6 s for its ~160 batches per subtask, and holds the sources back the
  // whole time: periodic checkpoints (every 100 ms) still complete, behind the full buffers
  // (the final checkpoint is one more)
  assert.ok((result.checkpoints ?? 0) >= 4, `${result.checkpoints} checkpoints completed under backpressure`)
})

test('checkpoints that time out are aborted and the job runs on: the output is still exact', async () => {
  // a two-phase-commit sink whose pre-commit takes 150 ms for the first checkpoints, past
  // the 60 ms checkpoint timeout; later checkpoints (and the final one) commit it all
  const visible: number[] = []
  let pending: number[] = []
  let slowPrepares = 3
  /** Checkpoint ids of the committables each commit made visible. */
  const commits: number[][] = []
  const sink = {
    createWriter: () => ({
      write: (values: number[]) => { pending.push(...values) },
      prepareCommit: async (checkpointId: number) => {
        if (slowPrepares-- > 0) await new Promise(resolve => setTimeout(resolve, 150))
        const out = pending
        pending = []
        return [{ checkpointId, values: out }]
      },
      commit: (committables: readonly unknown[]) => {
        const cs = committables as { checkpointId: number, values: number[] }[]
        commits.push(cs.map(c => c.checkpointId))
        for (const c of cs) visible.push(...c.values)
      },
      finish: () => {},
      close: () => {}
    })
  }
  const env = StreamEnvironment.create({ parallelism: 1 })
  env.enableCheckpointing(30, { timeoutMs: 60 })
  env.fromSource(datagen({ count: 6_000, generate: i => i, ratePerSec: 10_000 }), WatermarkStrategy.noWatermarks<number>(), 'numbers')
    .map(i => i).sinkTo(sink)
  const result = await env.execute('slow-prepare')
  assert.is(result.restarts, 0)
  assert.ok((result.checkpoints ?? 0) >= 2, `${result.checkpoints} checkpoints completed`)
  // every pre-commit was committed in the end, those of the timed-out checkpoints with a
  // later one that completed: more pre-committed checkpoints than completed ones
  const committed = new Set(commits.flat())
  assert.ok(committed.size > result.checkpoints!, `${committed.size} pre-commits committed, ${result.checkpoints} checkpoints completed`)
  assert.equal(visible.sort((a, b) => a - b), Array.from({ length: 6_000 }, (_, i) => i))
})

test('checkpoints go on after some subtasks finished (a source subtask without splits), and a restart is still exact', async () => {
  await withDir(async dir => {
    let failed = false
    let seen = 0
    const env = StreamEnvironment.create({ parallelism: 3, checkpointIntervalMs: 40 })
    // one split for three source subtasks: two of them finish at once
    env.fromSource(datagen({ count: COUNT, generate: event, ratePerSec: 24_000, splits: 1 }),
      WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner(e => e.ts), 'events')
      .map(e => {
        if (!failed && ++seen === 6_000) { failed = true; throw new Error('injected') }
        return e
      })
      .keyBy(e => e.key)
      .window(TumblingEventTimeWindows.of(WINDOW))
      .aggregate({ createAccumulator: () => 0, add: (e: Event, acc: number) => acc + e.v, getResult: (acc: number) => acc },
        (key, window, sum) => ({ key, start: window.start, sum }))
      .uid('sum-per-key')
      .sinkTo(fileSink({ path: dir, format: 'jsonl' }))
    const result = await env.execute('partly-finished')
    assert.is(result.restarts, 1)
    assert.ok((result.checkpoints ?? 0) >= 5, `${result.checkpoints} checkpoints completed`)
    assert.equal(await committedLines(dir), expected(COUNT))
  })
})

test('setRestartStrategy rejects bad strategies with a clear error', () => {
  const env = StreamEnvironment.create()
  assert.throws(() => env.setRestartStrategy({ kind: 'sometimes' } as never), /Unknown restart strategy "sometimes"/)
  assert.throws(() => env.setRestartStrategy({ kind: 'fixed-delay', attempts: -1, delayMs: 0 }), /Restart attempts must be a non-negative integer/)
  assert.throws(() => env.setRestartStrategy({ kind: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 10 }), /maxDelayMs \(10\) must not be below initialDelayMs \(100\)/)
})

test.run()

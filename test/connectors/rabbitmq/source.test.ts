/**
 * rabbitmqSource against the real broker (test/services/rabbitmq.sh): everything is read,
 * acks wait for checkpoints, injected failures lose nothing, `exactlyOnce` doubles nothing,
 * bad messages go to the dead-letter output or fail naming the queue and delivery tag.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy, OutputTag, type Sink } from 'meshflow'
import { rabbitmqSource, type DeadLetter } from 'meshflow/connectors/rabbitmq'
import { fileSink } from 'meshflow/connectors/files'
import { withTempDir } from '../files/helpers.ts'
import { withOutage } from '../../services/services.ts'
import { brokerUrl, committedJson, createQueue, deleteQueue, publishJson, publishRaw, readyCount, records, until } from './helpers.ts'

const test = suite('rabbitmqSource')

interface Rec { id: number, payload: string }

/** A sink that keeps what it is given (at-least-once: a replay after a restart shows up twice). */
function collect<T> (into: T[]): Sink<T> {
  return { createWriter: () => ({ write: (vs: T[]) => { into.push(...vs) }, finish () {}, close () {} }) }
}

/** Runs `env` until `done()` holds, then cancels it; returns the error the job failed with, if it did. */
async function runUntil (env: StreamEnvironment, name: string, what: string, done: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const stop = new AbortController()
  let failure: unknown
  let ended = false
  const run = env.execute(name, { signal: stop.signal }).then(
    () => { ended = true },
    err => { ended = true; if (!stop.signal.aborted) failure = err })
  try {
    await until(what, ms, async () => {
      if (failure !== undefined) throw failure
      if (ended) throw new Error(`The job ${name} ended before ${what}`)
      return await done()
    })
  } finally {
    stop.abort()
    await run
  }
}

const distinct = (xs: readonly Rec[]): number => new Set(xs.map(x => x.id)).size

test('reads every message of the queue at parallelism 2', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'read-all')
  try {
    await publishJson(url, queue, records(3_000))
    const seen: Rec[] = []
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 500 }), WatermarkStrategy.noWatermarks(), 'rabbit')
      .sinkTo(collect(seen))
    await runUntil(env, 'read-all', 'all 3000 messages', () => distinct(seen) === 3_000)
    assert.is(distinct(seen), 3_000)
    assert.ok(seen.every(r => r.payload === `p${r.id}`), 'bodies decoded as JSON')
  } finally {
    await deleteQueue(url, queue)
  }
})

test('acks a message only when a checkpoint covering it completes: without one, closing requeues everything', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'no-ack')
  try {
    await publishJson(url, queue, records(400))
    const seen: Rec[] = []
    // checkpoints on, but none completes while the job runs
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 3_600_000 })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 1_000 }), WatermarkStrategy.noWatermarks(), 'rabbit')
      .sinkTo(collect(seen))
    await runUntil(env, 'no-ack', 'all 400 messages', () => distinct(seen) === 400)
    await until('the 400 unacked messages back in the queue', 20_000, async () => await readyCount(url, queue) === 400)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('with a prefetch far below the messages, reading waits for each checkpoint to ack and goes on', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'prefetch')
  try {
    await publishJson(url, queue, records(1_000))
    const seen: Rec[] = []
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 50 })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 40 }), WatermarkStrategy.noWatermarks(), 'rabbit')
      .sinkTo(collect(seen))
    // 1000 messages through a window of 40 unacked ones: only checkpoint acks can let them through
    await runUntil(env, 'prefetch', 'all 1000 messages', () => distinct(seen) === 1_000)
    assert.is(distinct(seen), 1_000)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('without checkpointing, messages are acked as they are read', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'no-checkpoints')
  try {
    await publishJson(url, queue, records(500))
    const seen: Rec[] = []
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 30 }), WatermarkStrategy.noWatermarks(), 'rabbit')
      .sinkTo(collect(seen))
    await runUntil(env, 'no-checkpoints', 'all 500 messages', () => distinct(seen) === 500)
    assert.is(distinct(seen), 500)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('after injected failures and restarts nothing is lost (at-least-once, parallelism 2)', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'failures')
  try {
    await publishJson(url, queue, records(4_000))
    const seen: Rec[] = []
    const failAt = [900, 2_200]
    let count = 0
    let failed = 0
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 20 })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 300 }), WatermarkStrategy.noWatermarks(), 'rabbit')
      .map(r => {
        if (failed < failAt.length && ++count >= failAt[failed]!) { failed++; throw new Error(`injected failure ${failed}`) }
        return r
      }).uid('maybe-fail')
      .sinkTo(collect(seen))
    await runUntil(env, 'failures', 'all 4000 messages after the failures', () => failed === 2 && distinct(seen) === 4_000)
    assert.is(failed, 2)
    assert.is(distinct(seen), 4_000)
  } finally {
    await deleteQueue(url, queue)
  }
})

for (const prefetch of [200, 5_000]) {
  test(`exactlyOnce: after injected failures every message is in the exactly-once output once (prefetch ${prefetch})`, async () => {
    const url = await brokerUrl()
    const queue = await createQueue(url, 'exactly-once')
    try {
      await withTempDir(async dir => {
        const N = 3_000
        await publishJson(url, queue, records(N))
        const failAt = [700, 1_900]
        let count = 0
        let failed = 0
        const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 50 })
        env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 20 })
        env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch, exactlyOnce: true }), WatermarkStrategy.noWatermarks(), 'rabbit')
          .map(r => {
            if (failed < failAt.length && ++count >= failAt[failed]!) { failed++; throw new Error(`injected failure ${failed}`) }
            return r
          }).uid('maybe-fail')
          .sinkTo(fileSink<Rec>({ path: dir, format: 'jsonl' }))
        let snapshot: Rec[] = []
        await runUntil(env, 'exactly-once', `all ${N} messages committed`, async () => {
          snapshot = await committedJson<Rec>(dir)
          return failed === 2 && distinct(snapshot) === N
        })
        assert.is(snapshot.length, N, 'no message committed twice')
        const after = await committedJson<Rec>(dir)
        assert.is(after.length, N, 'still none twice after the job ended')
      })
    } finally {
      await deleteQueue(url, queue)
    }
  })
}

for (const exactlyOnce of [false, true]) {
  test(`the broker unreachable for longer than two heartbeats: the reader reconnects and nothing is lost${exactlyOnce ? ' or doubled (exactlyOnce)' : ''}`, async () => {
    const url = await brokerUrl()
    const queue = await createQueue(url, 'outage')
    try {
      await withTempDir(async dir => {
        const N = 2_000
        await publishJson(url, queue, records(N / 2))
        const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
        env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 200 })
        env.fromSource(rabbitmqSource<Rec>({ url, queue, prefetch: 300, exactlyOnce, heartbeatS: 1 }), WatermarkStrategy.noWatermarks(), 'rabbit')
          .sinkTo(fileSink<Rec>({ path: dir, format: 'jsonl' }))
        let snapshot: Rec[] = []
        let outage = false
        await runUntil(env, 'outage', `all ${N} messages committed`, async () => {
          snapshot = await committedJson<Rec>(dir)
          if (snapshot.length > 0 && !outage) {
            // the job reads: the broker stops for 3.5 s (heartbeats every 1 s go unanswered), then the second half comes
            outage = true
            await withOutage('rabbitmq', 3_500)
            await publishJson(url, queue, records(N / 2, N / 2))
          }
          return distinct(snapshot) === N
        }, 90_000)
        assert.ok(outage, 'the outage happened while reading')
        if (exactlyOnce) assert.is(snapshot.length, N, 'no message committed twice')
      })
    } finally {
      await deleteQueue(url, queue)
    }
  })
}

test('exactlyOnce fails naming the parallelism it needs', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'eo-parallel')
  try {
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'none' })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, exactlyOnce: true }), WatermarkStrategy.noWatermarks(), 'rabbit').sinkTo(collect([]))
    const err = await env.execute('eo-parallel', { signal: AbortSignal.timeout(60_000) }).then(() => undefined, e => e as Error)
    assert.ok(err !== undefined, 'the job failed')
    assert.match(err!.message, /exactlyOnce needs parallelism 1, got 2/)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('exactlyOnce fails naming the delivery of a message without an id', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'eo-no-id')
  try {
    await publishJson(url, queue, records(3), { messageId: false })
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'none' })
    env.fromSource(rabbitmqSource<Rec>({ url, queue, exactlyOnce: true }), WatermarkStrategy.noWatermarks(), 'rabbit').sinkTo(collect([]))
    const err = await env.execute('eo-no-id', { signal: AbortSignal.timeout(60_000) }).then(() => undefined, e => e as Error)
    assert.ok(err !== undefined, 'the job failed')
    assert.match(err!.message, new RegExp(`queue ${queue} delivery tag \\d+ has no messageId`))
  } finally {
    await deleteQueue(url, queue)
  }
})

test('a malformed message goes to the dead-letter output naming its queue and delivery tag', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'dead-letter')
  try {
    await publishJson(url, queue, records(5))
    await publishRaw(url, queue, [{ body: Buffer.from('{not json') }])
    await publishJson(url, queue, records(5, 5))
    const seen: Rec[] = []
    const dead: DeadLetter[] = []
    const tag = new OutputTag<DeadLetter>('bad')
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
    const stream = env.fromSource(rabbitmqSource<Rec>({ url, queue, deadLetter: tag }), WatermarkStrategy.noWatermarks(), 'rabbit')
    stream.sinkTo(collect(seen))
    stream.sideOutput(tag).sinkTo(collect(dead))
    await runUntil(env, 'dead-letter', '10 records and 1 dead letter', () => distinct(seen) === 10 && dead.length >= 1)
    assert.is(dead[0]!.text, '{not json')
    assert.match(dead[0]!.error, new RegExp(`queue ${queue} delivery tag \\d+`))
  } finally {
    await deleteQueue(url, queue)
  }
})

test('a malformed message without a dead-letter output fails the job naming its queue and delivery tag', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'malformed')
  try {
    await publishRaw(url, queue, [{ body: Buffer.from('{not json') }])
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'none' })
    env.fromSource(rabbitmqSource<Rec>({ url, queue }), WatermarkStrategy.noWatermarks(), 'rabbit').sinkTo(collect([]))
    const err = await env.execute('malformed', { signal: AbortSignal.timeout(60_000) }).then(() => undefined, e => e as Error)
    assert.ok(err !== undefined, 'the job failed')
    assert.match(err!.message, new RegExp(`Malformed message in queue ${queue} delivery tag \\d+`))
  } finally {
    await deleteQueue(url, queue)
  }
})

test('options are checked when the source is made: prefetch is a positive 16-bit count, the URL an AMQP one', () => {
  assert.throws(() => rabbitmqSource({ url: 'amqp://127.0.0.1:35672', queue: 'q', prefetch: 100_000 }), /prefetch must be at most 65535/)
  assert.throws(() => rabbitmqSource({ url: 'amqp://127.0.0.1:35672', queue: 'q', prefetch: 0 }), /prefetch must be a positive integer/)
  assert.throws(() => rabbitmqSource({ url: 'http://127.0.0.1:35672', queue: 'q' }), /url must be an amqp/)
  assert.throws(() => rabbitmqSource({ url: 'amqp://127.0.0.1:35672', queue: '' }), /needs a queue name/)
})

test('a queue that does not exist fails the job as the user\'s mistake', async () => {
  const url = await brokerUrl()
  const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
  env.setRestartStrategy({ kind: 'none' })
  env.fromSource(rabbitmqSource<Rec>({ url, queue: 'meshflow-test-missing-queue-x' }), WatermarkStrategy.noWatermarks(), 'rabbit').sinkTo(collect([]))
  const err = await env.execute('missing', { signal: AbortSignal.timeout(60_000) }).then(() => undefined, e => e as Error)
  assert.ok(err !== undefined, 'the job failed')
  assert.match(err!.message, /Cannot consume queue meshflow-test-missing-queue-x/)
})

test.run()

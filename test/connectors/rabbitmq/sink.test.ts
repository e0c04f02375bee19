/**
 * rabbitmqSink against the real broker (test/services/rabbitmq.sh): everything is published
 * and confirmed, injected failures and a broker outage lose nothing (at-least-once), and a
 * missing exchange fails as the user's mistake.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { rabbitmqSink } from 'meshflow/connectors/rabbitmq'
import { withOutage } from '../../services/services.ts'
import { brokerUrl, createQueue, deleteQueue, drainJson, readyCount, until } from './helpers.ts'

const test = suite('rabbitmqSink')

interface Rec { id: number, payload: string }
const rec = (i: number): Rec => ({ id: i, payload: `p${i}` })
const distinct = (xs: readonly Rec[]): number => new Set(xs.map(x => x.id)).size

test('publishes every record of a bounded job, confirmed before the job ends', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'sink-all')
  try {
    const N = 5_000
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.fromSource(datagen({ count: N, generate: rec }), WatermarkStrategy.noWatermarks(), 'gen')
      .sinkTo(rabbitmqSink<Rec>({ url, exchange: '', routingKey: queue, maxInFlight: 200 }))
    await env.execute('sink-all')
    // the job ended after its sinks were confirmed: the messages are in the queue now
    assert.is(await readyCount(url, queue), N)
    const got = await drainJson<Rec>(url, queue, N, 30_000)
    assert.is(distinct(got), N)
    assert.ok(got.every(r => r.payload === `p${r.id}`))
  } finally {
    await deleteQueue(url, queue)
  }
})

test('without checkpointing, finish waits for the confirms', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'sink-finish')
  try {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(datagen({ count: 1_000, generate: i => `line ${i}` }), WatermarkStrategy.noWatermarks(), 'gen')
      .sinkTo(rabbitmqSink<string>({ url, exchange: '', routingKey: queue, serializer: 'string' }))
    await env.execute('sink-finish')
    assert.is(await readyCount(url, queue), 1_000)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('after injected failures and restarts every record is published (at-least-once)', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'sink-failures')
  try {
    const N = 6_000
    const failAt = [1_500, 3_500]
    let count = 0
    let failed = 0
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 40 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 20 })
    env.fromSource(datagen({ count: N, generate: rec, ratePerSec: 20_000 }), WatermarkStrategy.noWatermarks(), 'gen')
      .map(r => {
        if (failed < failAt.length && ++count >= failAt[failed]!) { failed++; throw new Error(`injected failure ${failed}`) }
        return r
      }).uid('maybe-fail')
      .sinkTo(rabbitmqSink<Rec>({ url, exchange: '', routingKey: queue }))
    const result = await env.execute('sink-failures')
    assert.is(result.restarts, 2)
    const ready = await readyCount(url, queue)
    assert.ok(ready >= N, `at least ${N} messages, got ${ready}`)
    const got = await drainJson<Rec>(url, queue, ready, 30_000)
    assert.is(distinct(got), N)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('the broker unreachable for a few seconds: publishing waits and every record arrives', async () => {
  const url = await brokerUrl()
  const queue = await createQueue(url, 'sink-outage')
  try {
    const N = 4_000
    let count = 0
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 200 })
    env.fromSource(datagen({ count: N, generate: rec, ratePerSec: 1_000 }), WatermarkStrategy.noWatermarks(), 'gen')
      .map(r => { count++; return r })
      .sinkTo(rabbitmqSink<Rec>({ url, exchange: '', routingKey: queue }))
    const run = env.execute('sink-outage')
    await until('the job to be publishing', 30_000, () => count > 500)
    await withOutage('rabbitmq', 4_000)
    await run
    const ready = await readyCount(url, queue)
    assert.ok(ready >= N, `at least ${N} messages, got ${ready}`)
    const got = await drainJson<Rec>(url, queue, ready, 30_000)
    assert.is(distinct(got), N)
  } finally {
    await deleteQueue(url, queue)
  }
})

test('an exchange that does not exist fails the job as the user\'s mistake', async () => {
  const url = await brokerUrl()
  const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
  env.setRestartStrategy({ kind: 'none' })
  env.fromSource(datagen({ count: 10, generate: rec }), WatermarkStrategy.noWatermarks(), 'gen')
    .sinkTo(rabbitmqSink<Rec>({ url, exchange: 'meshflow-test-no-such-exchange', routingKey: 'x' }))
  const err = await env.execute('sink-missing').then(() => undefined, e => e as Error)
  assert.ok(err !== undefined, 'the job failed')
  assert.match(err!.message, /Cannot publish to exchange 'meshflow-test-no-such-exchange'/)
})

test.run()

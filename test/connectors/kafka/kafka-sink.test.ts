/**
 * kafkaSink against the real broker (test/services/kafka.sh): at-least-once writes every
 * record; exactly-once through transactions committed by id, with injected failures and
 * restarts, is seen exactly once by an independent read_committed consumer (kafkajs).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { kafkaSink } from 'meshflow/connectors/kafka'
import { brokers, createTopic, deleteTopic, freshName, readCommitted } from './helpers.ts'

const test = suite('kafkaSink')

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const sorted = (values: readonly string[]): number[] => values.map(v => (JSON.parse(v) as { id: number }).id).sort((a, b) => a - b)

test('at-least-once: every record is written', async () => {
  const b = await brokers()
  const topic = freshName('sink-alo')
  await createTopic(b, topic, 3)
  try {
    const N = 5_000
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromSource(datagen({ count: N, generate: i => ({ id: i }) }), WatermarkStrategy.noWatermarks<{ id: number }>(), 'gen')
      .sinkTo(kafkaSink<{ id: number }>({ brokers: b, topic, key: r => String(r.id % 7), serializer: 'json' }))
    await env.execute('sink-alo')
    assert.equal(sorted(await readCommitted(b, topic, N, 60_000)), range(N))
  } finally {
    await deleteTopic(b, topic)
  }
})

test('exactly-once: after injected failures and restarts a read_committed consumer sees each record once', async () => {
  const b = await brokers()
  const topic = freshName('sink-eos')
  await createTopic(b, topic, 3)
  try {
    const N = 6_000
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 10 })
    const failures = [1_500, 3_000, 4_500]
    let seen = 0
    let failed = 0
    env.fromSource(datagen({ count: N, generate: i => ({ id: i }), ratePerSec: 6_000 }), WatermarkStrategy.noWatermarks<{ id: number }>(), 'gen')
      .map(r => {
        if (failed < failures.length && ++seen >= failures[failed]!) { failed++; throw new Error(`injected failure ${failed}`) }
        return r
      }).uid('maybe-fail')
      .sinkTo(kafkaSink<{ id: number }>({ brokers: b, topic, serializer: 'json', delivery: 'exactly-once', transactionalIdPrefix: freshName('eos'), transactionTimeoutMs: 120_000 }))
    const result = await env.execute('sink-eos')
    assert.is(result.restarts, 3)
    const raw = await readCommitted(b, topic, N, 90_000)
    const got = sorted(raw)
    if (got.length !== N) console.error('duplicates:', got.filter((v, i) => got[i - 1] === v).join(' '))
    assert.is(got.length, N, 'as many records as the input')
    assert.equal(got, range(N), 'each record exactly once')
  } finally {
    await deleteTopic(b, topic)
  }
})

for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  test(`${delivery}: a topic that does not exist fails the job naming it (the broker does not create topics)`, async () => {
    const b = await brokers()
    const topic = freshName('sink-missing')
    const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 200 })
    env.setRestartStrategy({ kind: 'none' })
    env.fromSource(datagen({ count: 10, generate: i => ({ id: i }) }), WatermarkStrategy.noWatermarks<{ id: number }>(), 'gen')
      .sinkTo(kafkaSink<{ id: number }>({ brokers: b, topic, serializer: 'json', delivery, transactionalIdPrefix: freshName('missing') }))
    const err = await env.execute('sink-missing').then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof Error, 'the job failed')
    let text = ''
    for (let e: unknown = err; e instanceof Error; e = e.cause) text += `${e.name}: ${e.message}\n`
    assert.match(text, `KafkaTopicNotFoundError: Kafka topic ${topic} does not exist`)
  })
}

test('many requests in flight: at-least-once with checkpoints writes every record', async () => {
  const b = await brokers()
  const topic = freshName('sink-alo-inflight')
  await createTopic(b, topic, 3)
  try {
    const N = 20_000
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    env.fromSource(datagen({ count: N, generate: i => ({ id: i }) }), WatermarkStrategy.noWatermarks<{ id: number }>(), 'gen')
      .sinkTo(kafkaSink<{ id: number }>({ brokers: b, topic, serializer: 'json', batchSize: 37 }))
    await env.execute('sink-alo-inflight')
    const got = sorted(await readCommitted(b, topic, N, 60_000))
    assert.equal([...new Set(got)], range(N))
  } finally {
    await deleteTopic(b, topic)
  }
})

test('exactly-once to a topic chosen per record, many requests in flight: each record once in its topic', async () => {
  const b = await brokers()
  const topics = [freshName('sink-eos-even'), freshName('sink-eos-odd')]
  await createTopic(b, topics[0]!, 3)
  await createTopic(b, topics[1]!, 2)
  try {
    const N = 20_000
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
    env.fromSource(datagen({ count: N, generate: i => ({ id: i }) }), WatermarkStrategy.noWatermarks<{ id: number }>(), 'gen')
      .sinkTo(kafkaSink<{ id: number }>({
        brokers: b,
        // the first records of each write go to one topic: the other topic joins the transaction mid-write
        topicSelector: r => topics[(r.id >> 9) % 2]!,
        // runs of 25 records share a key: each request reaches other partitions than the one before
        key: r => String(Math.floor(r.id / 25)),
        serializer: 'json',
        batchSize: 50,
        delivery: 'exactly-once',
        transactionalIdPrefix: freshName('eos-sel'),
        transactionTimeoutMs: 120_000
      }))
    const result = await env.execute('sink-eos-selector')
    assert.is(result.restarts, 0)
    const expected = (t: number): number[] => range(N).filter(i => (i >> 9) % 2 === t)
    for (const t of [0, 1]) assert.equal(sorted(await readCommitted(b, topics[t]!, expected(t).length, 60_000)), expected(t), `each record once in ${topics[t]!}`)
  } finally {
    await Promise.all(topics.map(async t => { await deleteTopic(b, t) }))
  }
})

test.run()

/**
 * kafkaSource against the real broker (test/services/kafka.sh): a bounded read of every
 * partition, records of aborted transactions skipped, bad records to the dead-letter output
 * or failing the job naming topic/partition/offset, checkpointed offsets committed to the
 * group, and exactly-once positions across injected failures.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Producer } from '@platformatic/kafka'
import { Consumer } from '@platformatic/kafka'
import { OutputTag, StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { kafkaSource, type KafkaDeadLetter } from 'meshflow/connectors/kafka'
import { brokers, createTopic, deleteTopic, freshName, produce, readCommitted } from './helpers.ts'

const test = suite('kafkaSource')

interface Rec { readonly id: number }
const json = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i }))
const ids = (rs: readonly Rec[]): number[] => rs.map(r => r.id).sort((a, b) => a - b)
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

test('bounded: reads every partition to the offsets of the start, skipping aborted transactions', async () => {
  const b = await brokers()
  const topic = freshName('src-bounded')
  await createTopic(b, topic, 4)
  try {
    // partition 3 stays empty: a bounded read ends without waiting for it
    await produce(b, topic, json(3_000), undefined, 3)
    // an aborted transaction in partition 0: never read
    const tp = new Producer({ clientId: 't', bootstrapBrokers: b, idempotent: true, transactionalId: freshName('aborter') })
    const tx = await tp.beginTransaction()
    await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from(JSON.stringify({ id: -1 })) }] })
    await tx.abort()
    await tp.close()
    await produce(b, topic, json(10, 3_000), 0)
    const env = StreamEnvironment.create({ parallelism: 2 })
    const out = await env.fromSource(kafkaSource<Rec>({ brokers: b, topics: [topic], stoppingOffsets: 'latest', deserializer: 'json' }),
      WatermarkStrategy.noWatermarks<Rec>(), 'kafka').executeAndCollect('bounded')
    assert.equal(ids(out), range(3_010))
  } finally {
    await deleteTopic(b, topic)
  }
})

test('skips aborted transactions that the broker lists out of offset order (and so does the read_committed oracle)', async () => {
  const b = await brokers()
  const topic = freshName('src-aborts')
  await createTopic(b, topic, 1)
  try {
    // A starts first (lower first offset) but is aborted after B: the broker lists aborted
    // transactions in abort order, B before A, which kafkajs 2.2.4 mishandles (helpers.ts)
    const a = new Producer({ clientId: 't', bootstrapBrokers: b, idempotent: true, transactionalId: freshName('tx-a') })
    const bp = new Producer({ clientId: 't', bootstrapBrokers: b, idempotent: true, transactionalId: freshName('tx-b') })
    try {
      const ta = await a.beginTransaction()
      await ta.send({ messages: json(3, 100).map(v => ({ topic, partition: 0, value: Buffer.from(v) })) })
      const tb = await bp.beginTransaction()
      await tb.send({ messages: json(3, 200).map(v => ({ topic, partition: 0, value: Buffer.from(v) })) })
      await ta.send({ messages: json(3, 103).map(v => ({ topic, partition: 0, value: Buffer.from(v) })) })
      await tb.abort()
      await ta.abort()
    } finally {
      await Promise.allSettled([a.close(), bp.close()])
    }
    await produce(b, topic, json(10), 0)
    const env = StreamEnvironment.create({ parallelism: 1 })
    const out = await env.fromSource(kafkaSource<Rec>({ brokers: b, topics: [topic], stoppingOffsets: 'latest', deserializer: 'json' }),
      WatermarkStrategy.noWatermarks<Rec>(), 'kafka').executeAndCollect('aborts')
    assert.equal(ids(out), range(10), 'the connector')
    assert.equal(ids((await readCommitted(b, topic, 10, 60_000)).map(v => JSON.parse(v) as Rec)), range(10), 'the oracle')
  } finally {
    await deleteTopic(b, topic)
  }
})

test('a bad record goes to the dead-letter output naming topic, partition and offset', async () => {
  const b = await brokers()
  const topic = freshName('src-dlq')
  await createTopic(b, topic, 1)
  try {
    await produce(b, topic, [...json(5), '{not json', ...json(5, 5)], 0)
    const bad = new OutputTag<KafkaDeadLetter>('bad')
    const env = StreamEnvironment.create({ parallelism: 1 })
    const stream = env.fromSource(kafkaSource<Rec>({ brokers: b, topics: [topic], stoppingOffsets: 'latest', deserializer: 'json', deadLetter: bad }),
      WatermarkStrategy.noWatermarks<Rec>(), 'kafka')
    const letters = stream.sideOutput(bad).collect()
    const good = stream.collect()
    await env.execute('dlq')
    assert.equal(ids(good.values), range(10))
    assert.is(letters.values.length, 1)
    assert.is(letters.values[0]!.location, `topic ${topic} partition 0 offset 5`)
    assert.is(letters.values[0]!.text, '{not json')
  } finally {
    await deleteTopic(b, topic)
  }
})

test('without a dead-letter output a bad record fails the job naming its location', async () => {
  const b = await brokers()
  const topic = freshName('src-bad')
  await createTopic(b, topic, 1)
  try {
    await produce(b, topic, [...json(3), 'nope'], 0)
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(kafkaSource<Rec>({ brokers: b, topics: [topic], stoppingOffsets: 'latest', deserializer: 'json' }), WatermarkStrategy.noWatermarks<Rec>(), 'kafka').collect()
    try {
      await env.execute('bad')
      assert.unreachable('the job should fail')
    } catch (err) {
      assert.match(String((err as Error).stack) + JSON.stringify(err, Object.getOwnPropertyNames(err)), new RegExp(`topic ${topic} partition 0 offset 3`))
    }
  } finally {
    await deleteTopic(b, topic)
  }
})

test('checkpointed positions survive injected failures (each record once) and are committed to the group', async () => {
  const b = await brokers()
  const topic = freshName('src-restore')
  const groupId = freshName('group')
  await createTopic(b, topic, 4)
  try {
    const N = 8_000
    await produce(b, topic, json(N), undefined, 4)
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 10 })
    const failures = [2_000, 5_000]
    let seen = 0
    let failed = 0
    // a keyed sum (state restored with the positions) counts each id once if and only if
    // the positions are exactly-once; a bounded run ends with every partition read
    const out = await env.fromSource(kafkaSource<Rec>({ brokers: b, topics: [topic], groupId, stoppingOffsets: 'latest', deserializer: 'json' }),
      WatermarkStrategy.noWatermarks<Rec>(), 'kafka')
      .map(r => {
        if (failed < failures.length && ++seen >= failures[failed]!) { failed++; throw new Error(`injected failure ${failed}`) }
        return { k: 0, n: 1, sum: r.id }
      }).uid('maybe-fail')
      .keyBy(r => r.k).reduce((a, c) => ({ k: 0, n: a.n + c.n, sum: a.sum + c.sum })).uid('count')
      .executeAndCollect('restore')
    const last = out[out.length - 1]!
    assert.is(failed, 2)
    assert.is(last.n, N, 'each record counted once')
    assert.is(last.sum, N * (N - 1) / 2)
    const c = new Consumer({ clientId: 't', groupId, bootstrapBrokers: b })
    try {
      const committed = await c.listCommittedOffsets({ topics: [{ topic, partitions: [0, 1, 2, 3] }] })
      assert.equal(committed.get(topic), [2_000n, 2_000n, 2_000n, 2_000n], 'the final positions are committed to the group')
    } finally {
      await c.close()
    }
  } finally {
    await deleteTopic(b, topic)
  }
})

test.run()

/**
 * Kafka connector tables against the real broker (test/services/kafka.sh): a bounded
 * `'scan.bounded.mode' = 'latest-offset'` JSON source table, windowed by SQL, INSERTed INTO
 * an exactly-once Kafka table; an independent read_committed consumer sees every window once.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from '../../../../node/api/stream-environment.ts'
import { brokers, createTopic, deleteTopic, freshName, produce, readCommitted } from '../../../connectors/kafka/helpers.ts'

const T0 = Date.UTC(2026, 0, 1)
const N = 3000

const test = suite('streaming SQL over Kafka tables')

test('Kafka JSON table → TUMBLE → exactly-once Kafka table: every window once', async () => {
  const b = await brokers()
  const input = freshName('sql-in')
  const output = freshName('sql-out')
  await createTopic(b, input, 2)
  await createTopic(b, output, 2)
  try {
    // ids 0..N-1, 10 ms apart, out of order by up to 300 ms within each partition's stream
    const events = Array.from({ length: N }, (_, i) => ({ id: i, k: `k${i % 3}`, ts: new Date(T0 + i * 10 - (i % 7) * 40).toISOString() }))
    await produce(b, input, events.map(e => JSON.stringify(e)), undefined, 2)
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.enableCheckpointing(100)
    env.sql(`
      CREATE TABLE ev (id BIGINT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (
        'connector' = 'kafka', 'topic' = '${input}', 'properties.bootstrap.servers' = '${b.join(',')}',
        'properties.group.id' = '${freshName('sql-group')}', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
      CREATE TABLE per_second (window_start TIMESTAMP(3), k STRING, n BIGINT, ids BIGINT) WITH (
        'connector' = 'kafka', 'topic' = '${output}', 'properties.bootstrap.servers' = '${b.join(',')}', 'format' = 'json',
        'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = '${freshName('sql-txn')}');
      INSERT INTO per_second SELECT window_start, k, COUNT(*), SUM(id) FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, k`)
    await env.execute('sql-kafka')
    const expected = new Map<string, { n: number, ids: number }>()
    for (const e of events) {
      const t = Date.parse(e.ts)
      const key = `${t - (t % 1000)}/${e.k}`
      const x = expected.get(key) ?? { n: 0, ids: 0 }
      expected.set(key, { n: x.n + 1, ids: x.ids + e.id })
    }
    const values = (await readCommitted(b, output, expected.size, 60_000)).map(v => JSON.parse(v) as { window_start: number, k: string, n: number, ids: number })
    assert.is(values.length, expected.size, 'every window once')
    const got = new Map(values.map(v => [`${v.window_start}/${v.k}`, { n: v.n, ids: v.ids }]))
    assert.equal(got, expected)
  } finally {
    await deleteTopic(b, input)
    await deleteTopic(b, output)
  }
})

test.run()

/**
 * The Kafka connector's harnesses for the contract suite (test/connectors/contract.ts): a
 * fresh topic per test on the broker of test/services/kafka.sh; the source reads it
 * (exactly-once positions), the sink writes it through transactions, and what the sink
 * made visible is read by the reference Java client with read_committed (helpers.ts).
 */
import type { OutputTag } from 'meshflow'
import { kafkaSink, kafkaSource, type KafkaDeadLetter } from 'meshflow/connectors/kafka'
import type { ContractRecord, SinkFixture, SinkHarness, SourceFixture, SourceHarness } from '../contract.ts'
import { brokers, createTopic, deleteTopic, freshName, produce, readCommitted } from './helpers.ts'

/** kafkaSource over a topic with one partition per split; records go round-robin by id. */
export const kafkaSourceHarness: SourceHarness = {
  name: 'kafka',
  service: 'kafka',
  guarantee: 'exactly-once',
  create: async ({ splits }): Promise<SourceFixture> => {
    const b = await brokers()
    const topic = freshName('contract-src')
    await createTopic(b, topic, splits)
    return {
      write: async records => {
        for (let p = 0; p < splits; p++) {
          const mine = records.filter(r => r.id % splits === p).map(r => JSON.stringify(r))
          if (mine.length > 0) await produce(b, topic, mine, p)
        }
      },
      writeMalformed: async () => { await produce(b, topic, ['{"id": 1, not json'], 0) },
      source: ({ deadLetter }) => kafkaSource<ContractRecord>({
        brokers: b,
        topics: [topic],
        deserializer: 'json',
        ...(deadLetter === undefined ? {} : { deadLetter: deadLetter as OutputTag<KafkaDeadLetter> })
      }),
      badRecordLocation: /topic \S+ partition \d+ offset \d+/,
      describeDeadLetter: d => (d as KafkaDeadLetter).location,
      delete: async () => { await deleteTopic(b, topic) }
    }
  }
}

/** kafkaSink with exactly-once delivery into a fresh 3-partition topic. */
export const kafkaSinkHarness: SinkHarness = {
  name: 'kafka',
  service: 'kafka',
  guarantee: 'exactly-once',
  create: async (): Promise<SinkFixture> => {
    const b = await brokers()
    const topic = freshName('contract-sink')
    await createTopic(b, topic, 3)
    const transactionalIdPrefix = freshName('contract')
    return {
      sink: () => kafkaSink<ContractRecord>({
        brokers: b,
        topic,
        key: r => r.key,
        serializer: 'json',
        delivery: 'exactly-once',
        transactionalIdPrefix,
        // a transaction a failed attempt could not abort (the broker was unreachable) holds
        // back read_committed readers until the broker aborts it: keep that short here
        transactionTimeoutMs: 30_000
      }),
      readAll: async (atLeast, timeoutMs) => (await readCommitted(b, topic, atLeast, timeoutMs)).map(v => JSON.parse(v) as ContractRecord),
      delete: async () => { await deleteTopic(b, topic) }
    }
  }
}

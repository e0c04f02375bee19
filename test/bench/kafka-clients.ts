/**
 * `npm run bench -- kafka-clients`: the two Kafka clients installed (kafkajs 2.2.4 and
 * @platformatic/kafka) producing and consuming the same records against the broker of
 * test/services/kafka.sh, in the same run, to choose the connector's client by measurement.
 *
 * Each client produces N records of ~100 bytes (batches of 1,000, 4 batches in flight,
 * acks from all replicas) into a fresh 4-partition topic, then consumes them all from the
 * beginning with a fresh consumer group. One JSON line per client and operation.
 *
 * Options: `--records=N` (default 500,000).
 */
import kafkajs from 'kafkajs'
import { Admin, Consumer, Producer, ProduceAcks } from '@platformatic/kafka'
import { requireService } from '../services/services.ts'

const { Kafka, logLevel } = kafkajs
const arg = process.argv.find(a => a.startsWith('--records='))
const N = arg === undefined ? 500_000 : Number(arg.slice('--records='.length))
const BATCH = 1_000
const IN_FLIGHT = 4
const PARTITIONS = 4

const broker = await requireService('kafka')
const payload = 'x'.repeat(80)
function value (i: number): string { return `{"id":${i},"p":"${payload}"}` }

function line (client: string, operation: string, records: number, ms: number): void {
  process.stdout.write(JSON.stringify({ bench: 'kafka-clients', client, operation, records, ms: Math.round(ms), recordsPerSecond: Math.round(records / ms * 1000) }) + '\n')
}

async function inFlight (send: (from: number, to: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < N) {
      const from = next
      next = Math.min(N, next + BATCH)
      await send(from, next)
    }
  }))
}

const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [broker] })
const suffix = Math.random().toString(36).slice(2, 8)

async function kafkajsRun (): Promise<void> {
  const topic = `bench-kafkajs-${suffix}`
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 })
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  let t = performance.now()
  await inFlight(async (from, to) => {
    const messages = []
    for (let i = from; i < to; i++) messages.push({ key: String(i), value: value(i) })
    await producer.send({ topic, acks: -1, messages })
  })
  line('kafkajs', 'produce', N, performance.now() - t)
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `bench-${suffix}`, maxBytes: 16 << 20 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  t = performance.now()
  let seen = 0
  let bytes = 0
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value?.length ?? 0
        seen += batch.messages.length
        if (seen >= N) resolve()
      }
    }).catch(reject)
  })
  line('kafkajs', 'consume', seen, performance.now() - t)
  await consumer.disconnect()
  await admin.deleteTopics({ topics: [topic] })
  if (bytes === 0) throw new Error('kafkajs consumed no bytes')
}

async function platformaticRun (): Promise<void> {
  const topic = `bench-platformatic-${suffix}`
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 })
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [broker], acks: ProduceAcks.ALL })
  let t = performance.now()
  await inFlight(async (from, to) => {
    const messages = []
    for (let i = from; i < to; i++) messages.push({ topic, key: Buffer.from(String(i)), value: Buffer.from(value(i)) })
    await producer.send({ messages })
  })
  line('@platformatic/kafka', 'produce', N, performance.now() - t)
  await producer.close()

  const consumer = new Consumer({ clientId: 'bench', groupId: `bench-${suffix}`, bootstrapBrokers: [broker], maxBytes: 16 << 20, maxWaitTime: 500 })
  t = performance.now()
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
  let seen = 0
  let bytes = 0
  for await (const m of stream) {
    bytes += m.value?.length ?? 0
    if (++seen >= N) break
  }
  line('@platformatic/kafka', 'consume', seen, performance.now() - t)
  await stream.close()
  await consumer.close()
  await admin.deleteTopics({ topics: [topic] })
  if (bytes === 0) throw new Error('@platformatic/kafka consumed no bytes')
}

try {
  await kafkajsRun()
  await platformaticRun()
} finally {
  await admin.close()
}

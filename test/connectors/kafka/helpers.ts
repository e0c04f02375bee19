/**
 * Kafka test helpers: fresh topics (random names, so tests of several engineers on one
 * broker never collide), producing JSON records, and an independent read_committed reader
 * (kafkajs, not the connector's client) as the oracle of what a consumer sees.
 */
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import { requireService } from '../../services/services.ts'

export async function brokers (): Promise<string[]> {
  return [await requireService('kafka')]
}

export function freshName (base: string): string {
  return `${base}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export async function createTopic (b: string[], name: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'meshflow-test', bootstrapBrokers: b })
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 })
  } finally {
    await admin.close()
  }
}

export async function addPartitions (b: string[], name: string, count: number): Promise<void> {
  const admin = new Admin({ clientId: 'meshflow-test', bootstrapBrokers: b })
  try {
    await admin.createPartitions({ topics: [{ name, count }] })
  } finally {
    await admin.close()
  }
}

export async function deleteTopic (b: string[], name: string): Promise<void> {
  const admin = new Admin({ clientId: 'meshflow-test', bootstrapBrokers: b })
  try {
    await admin.deleteTopics({ topics: [name] })
  } catch {
    // gone already
  } finally {
    await admin.close()
  }
}

/** Produces raw values (strings) round-robin over `partitions`, or into `partition`. */
export async function produce (b: string[], topic: string, values: readonly string[], partition?: number, partitions = 1): Promise<void> {
  const producer = new Producer({ clientId: 'meshflow-test', bootstrapBrokers: b, acks: ProduceAcks.ALL })
  try {
    for (let i = 0; i < values.length; i += 1_000) {
      await producer.send({ messages: values.slice(i, i + 1_000).map((v, j) => ({ topic, partition: partition ?? (i + j) % partitions, value: Buffer.from(v) })) })
    }
  } finally {
    await producer.close()
  }
}

/** What a read_committed consumer (kafkajs) sees in `topic`: waits for at least `atLeast` values, then for stragglers. */
export async function readCommitted (b: string[], topic: string, atLeast: number, timeoutMs: number): Promise<string[]> {
  const kafka = new kafkajs.Kafka({ clientId: 'meshflow-test-oracle', brokers: b, logLevel: kafkajs.logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: freshName('oracle'), readUncommitted: false })
  const out: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    let lastAt = Date.now()
    await consumer.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) out.push(m.value?.toString() ?? ''); lastAt = Date.now() } })
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline && (out.length < atLeast || Date.now() - lastAt < 1_500)) await new Promise(resolve => setTimeout(resolve, 100))
  } finally {
    await consumer.disconnect()
  }
  return out
}

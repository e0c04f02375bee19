/**
 * Kafka test helpers: fresh topics (random names, so tests of several engineers on one
 * broker never collide), producing JSON records, and an independent read_committed reader
 * (the reference Java client, not the connector's) as the oracle of what a consumer sees.
 */
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka'
import { execFile } from 'node:child_process'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { requireService } from '../../services/services.ts'

const run = promisify(execFile)

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

/**
 * Produces raw values (strings) round-robin over `partitions`, or into `partition`. The
 * producer is idempotent: the client retries a produce request that timed out (5 s by
 * default, easily reached on a busy machine), and without idempotence the broker then
 * appends those batches twice — a test's input would hold whole batches twice.
 */
export async function produce (b: string[], topic: string, values: readonly string[], partition?: number, partitions = 1): Promise<void> {
  const producer = new Producer({ clientId: 'meshflow-test', bootstrapBrokers: b, acks: ProduceAcks.ALL, idempotent: true })
  try {
    for (let i = 0; i < values.length; i += 1_000) {
      await producer.send({ messages: values.slice(i, i + 1_000).map((v, j) => ({ topic, partition: partition ?? (i + j) % partitions, value: Buffer.from(v) })) })
    }
  } finally {
    await producer.close()
  }
}

/** Where test/services/kafka.sh keeps the broker's jars (kafka-clients among them). */
function kafkaLibs (): string {
  const cache = process.env.MESHFLOW_SERVICES_CACHE ?? join(homedir(), '.cache', 'meshflow-services')
  return join(cache, 'kafka', 'libs')
}

/**
 * What a read_committed consumer sees in `topic`: waits for at least `atLeast` values, then
 * for stragglers. The oracle is the reference Java client (ReadCommitted.java, run on the
 * broker's own jars), not kafkajs: kafkajs 2.2.4 lets through the first batch of an aborted
 * transaction when the broker lists aborted transactions out of offset order (see there).
 */
export async function readCommitted (b: string[], topic: string, atLeast: number, timeoutMs: number): Promise<string[]> {
  const program = fileURLToPath(new URL('./ReadCommitted.java', import.meta.url))
  const { stdout } = await run('java', ['-cp', `${kafkaLibs()}/*`, program, b[0]!, topic, String(atLeast), String(timeoutMs)],
    { maxBuffer: 1 << 30, timeout: timeoutMs + 60_000 })
  const out: string[] = []
  for (const line of stdout.split('\n')) if (line.startsWith('V ')) out.push(Buffer.from(line.slice(2), 'base64').toString('utf8'))
  return out
}

/**
 * What a read_committed consumer sees in `topic`, summarised (for millions of records): the
 * number of values and of distinct values, by the same Java client as readCommitted.
 */
export async function readCommittedSummary (b: string[], topic: string, atLeast: number, timeoutMs: number): Promise<{ values: number, distinct: number }> {
  const program = fileURLToPath(new URL('./ReadCommitted.java', import.meta.url))
  const { stdout } = await run('java', ['-Xmx2g', '-cp', `${kafkaLibs()}/*`, program, b[0]!, topic, String(atLeast), String(timeoutMs), 'summary'],
    { timeout: timeoutMs + 60_000 })
  const values = /^N (\d+)$/m.exec(stdout)
  const distinct = /^D (\d+)$/m.exec(stdout)
  if (values === null || distinct === null) throw new Error(`ReadCommitted.java printed no summary for ${topic}: ${stdout.slice(0, 200)}`)
  return { values: Number(values[1]), distinct: Number(distinct[1]) }
}

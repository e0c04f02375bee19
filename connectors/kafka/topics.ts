/**
 * Creating topics from a job or a script: a job module cannot bundle the Kafka client itself
 * (the job bundle keeps `meshflow/connectors/*` external and resolves them on each peer), so
 * the connector offers what a job needs to set up its topics.
 */
import { Admin } from '@platformatic/kafka'
import { errorMessage } from '../../protocol/error-message.ts'
import { KafkaOptionsError, KafkaUnavailableError } from './errors.ts'

/** A topic to create: its name, partitions and replication factor (default 1). */
export interface KafkaTopicSpec {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor?: number
}

/**
 * Creates each topic of `topics` that does not exist yet; existing ones are left as they are
 * (their partition count is not changed). Safe to call from every peer building a job at once.
 *
 * @throws {KafkaOptionsError} on an invalid spec
 * @throws {KafkaUnavailableError} when the cluster cannot be reached or refuses a topic
 * @example
 * await ensureTopics(['127.0.0.1:39092'], [{ name: 'sales', partitions: 4 }])
 */
export async function ensureTopics (brokers: readonly string[], topics: readonly KafkaTopicSpec[], options: { clientId?: string } = {}): Promise<void> {
  if (!Array.isArray(brokers) || brokers.length === 0) throw new KafkaOptionsError('ensureTopics needs brokers: a non-empty list of host:port')
  for (const t of topics) {
    if (typeof t?.name !== 'string' || t.name === '') throw new KafkaOptionsError('ensureTopics needs a name for every topic')
    if (!Number.isInteger(t.partitions) || t.partitions < 1) throw new KafkaOptionsError(`Topic ${t.name} needs a positive integer number of partitions, got ${String(t.partitions)}`)
  }
  const admin = new Admin({ clientId: options.clientId ?? 'meshflow-topics', bootstrapBrokers: [...brokers] })
  try {
    const existing = new Set(await admin.listTopics({ includeInternals: false }))
    for (const t of topics) {
      if (existing.has(t.name)) continue
      try {
        await admin.createTopics({ topics: [t.name], partitions: t.partitions, replicas: t.replicationFactor ?? 1 })
      } catch (err) {
        // another peer building the same job created it first
        if (!(await admin.listTopics({ includeInternals: false })).includes(t.name)) throw err
      }
    }
  } catch (err) {
    if (err instanceof KafkaOptionsError) throw err
    throw new KafkaUnavailableError(`Cannot create the Kafka topics ${topics.map(t => t.name).join(', ')}: ${errorMessage(err)}`, { cause: err })
  } finally {
    await admin.close().catch(() => {})
  }
}

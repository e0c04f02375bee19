/**
 * Creates the example's topics when they are missing (the test broker does not create topics
 * on first use, as a production broker should not): `sales`, read by the job, and `alerts`,
 * written by it.
 *
 * @example
 * await ensureTopics(['127.0.0.1:39092'], [{ name: 'sales', partitions: 4 }])
 */
import { Admin } from '@platformatic/kafka'

export interface TopicSpec {
  readonly name: string
  readonly partitions: number
}

/** Creates each topic of `topics` that does not exist yet; existing ones are left as they are. */
export async function ensureTopics (brokers: readonly string[], topics: readonly TopicSpec[]): Promise<void> {
  const admin = new Admin({ clientId: 'kafka-to-lake', bootstrapBrokers: [...brokers] })
  try {
    const existing = new Set(await admin.listTopics())
    for (const t of topics) {
      if (existing.has(t.name)) continue
      try {
        await admin.createTopics({ topics: [t.name], partitions: t.partitions, replicas: 1 })
      } catch (err) {
        // another peer building the same job created it first
        if (!(await admin.listTopics()).includes(t.name)) throw err
      }
    }
  } finally {
    await admin.close()
  }
}

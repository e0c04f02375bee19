/**
 * The sink's check that the topics it writes exist. A broker with topic auto-creation off
 * (as production brokers should be) answers a produce to a missing topic by retrying its
 * metadata forever: without this check the job would hang with nothing said.
 */
import { Admin } from '@platformatic/kafka'
import { errorMessage } from '../../protocol/error-message.ts'
import { KafkaTopicNotFoundError, KafkaUnavailableError } from './errors.ts'

export class TopicCheck {
  readonly #brokers: readonly string[]
  readonly #clientId: string
  readonly #known = new Set<string>()

  constructor (brokers: readonly string[], clientId: string) {
    this.#brokers = brokers
    this.#clientId = clientId
  }

  /**
   * Resolves when every topic of `messages` exists (each looked up once).
   *
   * @throws {KafkaTopicNotFoundError} naming the first missing topic
   */
  async check (messages: ReadonlyArray<{ readonly topic: string }>): Promise<void> {
    let unknown: Set<string> | undefined
    for (let i = 0; i < messages.length; i++) {
      const t = messages[i]!.topic
      if (!this.#known.has(t)) (unknown ??= new Set()).add(t)
    }
    if (unknown === undefined) return
    const admin = new Admin({ clientId: this.#clientId, bootstrapBrokers: [...this.#brokers] })
    let existing: string[]
    try {
      existing = await admin.listTopics({ includeInternals: false })
    } catch (err) {
      throw new KafkaUnavailableError(`Cannot list the Kafka topics: ${errorMessage(err)}`, { cause: err })
    } finally {
      await admin.close().catch(() => {})
    }
    const all = new Set(existing)
    for (const t of unknown) {
      if (!all.has(t)) throw new KafkaTopicNotFoundError(t)
      this.#known.add(t)
    }
  }
}

/**
 * Kafka transactions by id, with the protocol requests of @platformatic/kafka: commit a
 * pre-committed transaction given its transactional id, producer id and epoch (what Flink
 * does by reflection on the Java producer), and fence/abort whatever a transactional id
 * left open (InitProducerId). Used by the exactly-once sink (sink-exactly-once.ts).
 */
import { Connection, endTxnV4, findCoordinatorV6, findErrorBy, initProducerIdV4 } from '@platformatic/kafka'
import { logger } from '@libp2p/logger'
import { errorMessage } from '../../protocol/error-message.ts'
import { KafkaTransactionLostError, KafkaUnavailableError } from './errors.ts'

const log = logger('meshflow:kafka:transactions')

/** FindCoordinator key type of transactional ids. */
const TRANSACTION_KEY = 1
const RETRIES = 40
const RETRY_MS = 250

function sleep (ms: number): Promise<void> { return new Promise(resolve => setTimeout(resolve, ms)) }

/** Kafka error names after which the same request succeeds a little later. */
const RETRIABLE = ['COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'CONCURRENT_TRANSACTIONS', 'REQUEST_TIMED_OUT']

function kafkaErrorName (err: unknown): string | undefined {
  for (const name of [...RETRIABLE, 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_TXN_STATE', 'INVALID_PRODUCER_ID_MAPPING', 'TRANSACTIONAL_ID_NOT_FOUND']) {
    if (findErrorBy(err as Error, 'apiId', name) !== null) return name
  }
  if (findErrorBy(err as Error, 'code', 'PLT_KFK_NETWORK') !== null || findErrorBy(err as Error, 'code', 'PLT_KFK_TIMEOUT') !== null) return 'NETWORK'
  return undefined
}

/** A pre-committed transaction, as stored in a checkpoint. */
export interface PreparedTransaction {
  readonly transactionalId: string
  /** The producer id, as a decimal string (a bigint does not survive JSON/cbor as-is). */
  readonly producerId: string
  readonly epoch: number
}

/** Talks to the transaction coordinators of a cluster over one bootstrap connection (and one per coordinator). */
export class TransactionCoordinators {
  readonly #brokers: readonly string[]
  readonly #clientId: string
  readonly #connections = new Map<string, Connection>()
  #closed = false

  constructor (brokers: readonly string[], clientId: string) {
    this.#brokers = brokers
    this.#clientId = clientId
  }

  async #connection (host: string, port: number): Promise<Connection> {
    const key = `${host}:${port}`
    let c = this.#connections.get(key)
    if (c !== undefined && c.isConnected()) return c
    if (c !== undefined) this.#connections.delete(key)
    c = new Connection(this.#clientId)
    await c.connect(host, port)
    this.#connections.set(key, c)
    return c
  }

  async #bootstrap (attempt: number): Promise<Connection> {
    const b = this.#brokers[attempt % this.#brokers.length]!
    const i = b.lastIndexOf(':')
    return await this.#connection(b.slice(0, i), Number(b.slice(i + 1)))
  }

  async #coordinator (transactionalId: string, attempt: number): Promise<Connection> {
    const r = await findCoordinatorV6.api.async(await this.#bootstrap(attempt), TRANSACTION_KEY, [transactionalId])
    const c = r.coordinators[0]
    if (c === undefined || c.errorCode !== 0) throw new KafkaUnavailableError(`No transaction coordinator for ${transactionalId} (error ${c?.errorCode ?? '?'})`)
    return await this.#connection(c.host, c.port)
  }

  /** Runs `request` against the coordinator of `transactionalId`, retrying while the cluster says "later". */
  async #withRetry<R> (transactionalId: string, what: string, request: (c: Connection) => Promise<R>): Promise<R> {
    let last: unknown
    for (let attempt = 0; attempt < RETRIES && !this.#closed; attempt++) {
      try {
        return await request(await this.#coordinator(transactionalId, attempt))
      } catch (err) {
        const name = kafkaErrorName(err)
        if (name !== 'NETWORK' && (name === undefined || !RETRIABLE.includes(name)) && !(err instanceof KafkaUnavailableError)) throw err
        last = err
        log('%s %s: %s, retrying', what, transactionalId, name ?? errorMessage(err))
        await sleep(RETRY_MS)
      }
    }
    throw new KafkaUnavailableError(`Could not ${what} Kafka transaction ${transactionalId}: ${errorMessage(last)}`, { cause: last })
  }

  /**
   * Commits a pre-committed transaction by id (EndTxn with its producer id and epoch).
   * Idempotent: committing one that is committed already succeeds. Throws
   * KafkaTransactionLostError when the broker aborted it or the id has moved on.
   */
  async commit (t: PreparedTransaction): Promise<void> {
    try {
      await this.#withRetry(t.transactionalId, 'commit', async c => await endTxnV4.api.async(c, t.transactionalId, BigInt(t.producerId), t.epoch, true))
    } catch (err) {
      const name = kafkaErrorName(err)
      if (name === 'INVALID_TXN_STATE') throw new KafkaTransactionLostError(t.transactionalId, 'the broker aborted it (open longer than the transaction timeout?)', { cause: err })
      if (name === 'INVALID_PRODUCER_EPOCH' || name === 'PRODUCER_FENCED' || name === 'INVALID_PRODUCER_ID_MAPPING' || name === 'TRANSACTIONAL_ID_NOT_FOUND') {
        throw new KafkaTransactionLostError(t.transactionalId, `its producer was fenced or expired (${name})`, { cause: err })
      }
      throw err
    }
  }

  /**
   * Initialises `transactionalId` (InitProducerId), which aborts a transaction it left
   * open and fences its old producer. Returns the new epoch: 0 means the id had never been
   * used (nothing to abort).
   */
  async fence (transactionalId: string, transactionTimeoutMs: number): Promise<number> {
    const r = await this.#withRetry(transactionalId, 'abort', async c => await initProducerIdV4.api.async(c, transactionalId, transactionTimeoutMs, -1n, -1))
    return r.producerEpoch
  }

  async close (): Promise<void> {
    this.#closed = true
    const all = [...this.#connections.values()]
    this.#connections.clear()
    await Promise.allSettled(all.map(async c => { await c.close() }))
  }
}

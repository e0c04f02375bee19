/**
 * The writer of `rabbitmqSink` (see sink.ts): publishes on a confirm channel, keeps every
 * message until the broker confirms it, and lets at most `maxInFlight` wait. A lost
 * connection is reopened (for at most `reconnectMs`) and the unconfirmed messages are
 * published again — the broker may have routed some before it went away: at-least-once.
 *
 * It commits in two phases only to be told about barriers: `prepareCommit` waits for every
 * confirm and hands over nothing, `commit` has nothing to do. So a checkpoint completes only
 * once all output before its barrier is confirmed.
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib'
import { logger } from '@libp2p/logger'
import type { SinkWriter } from '../../node/api/sink.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { closeQuietly, connectWithRetry, redactUrl } from './connection.ts'
import { isResourceRefusal, PublishNackedError, RabbitMQConnectorError, RabbitMQResourceError, SerializationError } from './errors.ts'
import type { ResolvedSinkOptions } from './sink.ts'

const log = logger('meshflow:connectors:rabbitmq:sink')

/** What a writer uses: the task's signal (a cancelled job stops reconnecting). */
export interface RabbitMQSinkWriterComponents {
  readonly signal: AbortSignal
}

interface Outgoing {
  readonly routingKey: string
  readonly content: Buffer
  readonly options: Options.Publish
  /** The channel it was last published on. */
  sentOn: number
}

/** Publishes one subtask's records (see the module comment); created by `rabbitmqSink`. */
export class RabbitMQSinkWriter<T> implements SinkWriter<T> {
  readonly #init: ResolvedSinkOptions<T>
  readonly #signal: AbortSignal
  readonly #stop = new AbortController()
  #connection: ChannelModel | undefined
  #channel: ConfirmChannel | undefined
  #channelNo = 0
  #opening: Promise<ConfirmChannel> | undefined
  /** Published and not confirmed, by our own sequence number (kept to publish again after a lost channel). */
  readonly #unconfirmed = new Map<number, Outgoing>()
  #seq = 0
  #failure: Error | undefined
  #waiters: (() => void)[] = []
  #closed = false

  constructor (components: RabbitMQSinkWriterComponents, init: ResolvedSinkOptions<T>) {
    this.#signal = AbortSignal.any([components.signal, this.#stop.signal])
    this.#init = init
  }

  async write (values: T[]): Promise<void> {
    const { routingKey, serialize, properties, persistent, maxInFlight } = this.#init
    for (const value of values) {
      this.#throwIfFailed()
      let out: Outgoing
      try {
        const options: Options.Publish = { persistent, ...(properties === undefined ? {} : properties(value)) }
        out = { routingKey: routingKey(value), content: serialize(value), options, sentOn: 0 }
      } catch (err) {
        throw new SerializationError(errorMessage(err), { cause: err })
      }
      if (typeof out.routingKey !== 'string') throw new SerializationError(`the routing key function returned ${typeof out.routingKey}, expected a string`)
      while (this.#unconfirmed.size >= maxInFlight) await this.#changed()
      const seq = ++this.#seq
      this.#unconfirmed.set(seq, out)
      await this.#send(seq, out)
    }
  }

  /** Waits until every message published so far is confirmed. */
  async #flush (): Promise<void> {
    while (this.#unconfirmed.size > 0) {
      this.#throwIfFailed()
      await this.#changed()
    }
    this.#throwIfFailed()
  }

  async prepareCommit (): Promise<unknown[]> {
    await this.#flush()
    return []
  }

  commit (): void {}

  async finish (): Promise<void> {
    await this.#flush()
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stop.abort(new Error('The RabbitMQ sink writer closed'))
    this.#wake()
    const connection = this.#connection
    this.#connection = undefined
    this.#channel = undefined
    await closeQuietly(connection)
  }

  #throwIfFailed (): void {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#closed) throw new RabbitMQConnectorError('The RabbitMQ sink writer is closed', 'internal', false)
  }

  #changed (): Promise<void> {
    return new Promise(resolve => { this.#waiters.push(resolve) })
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  #fail (err: Error): void {
    this.#failure ??= err
    this.#wake()
  }

  /** Publishes one message on the current channel (opening one when there is none), or on the next one when this one just went away. */
  async #send (seq: number, out: Outgoing): Promise<void> {
    for (;;) {
      this.#throwIfFailed()
      const channel = this.#channel ?? await this.#open()
      const no = this.#channelNo
      if (!this.#unconfirmed.has(seq) || out.sentOn === no) return   // a reopen published it already
      try {
        await this.#publishOn(channel, no, seq, out)
        return
      } catch (err) {
        if (no === this.#channelNo && this.#channel !== undefined) throw err
        log('publishing on a lost channel failed, again on the next one: %s', errorMessage(err))
      }
    }
  }

  /** Opens (or reopens) the connection and a confirm channel, then publishes the unconfirmed messages again. */
  #open (): Promise<ConfirmChannel> {
    this.#opening ??= this.#openOnce().finally(() => { this.#opening = undefined })
    return this.#opening
  }

  async #openOnce (): Promise<ConfirmChannel> {
    const { url, exchange, reconnectMs, heartbeatS } = this.#init
    const connection = await connectWithRetry(url, { reconnectMs, heartbeatS, signal: this.#signal })
    let channel: ConfirmChannel
    try {
      channel = await connection.createConfirmChannel()
      channel.on('error', err => { log('channel error: %s', errorMessage(err)) })
      if (exchange !== '') await channel.checkExchange(exchange)
    } catch (err) {
      await closeQuietly(connection)
      if (isResourceRefusal(err)) {
        const e = new RabbitMQResourceError(`Cannot publish to exchange '${exchange}' at ${redactUrl(url)}`, { cause: err })
        this.#fail(e)
        throw e
      }
      throw err
    }
    if (this.#closed) { await closeQuietly(connection); throw new RabbitMQConnectorError('The RabbitMQ sink writer is closed', 'internal', false) }
    const no = ++this.#channelNo
    this.#connection = connection
    this.#channel = channel
    let lost = false
    const onLost = (why: unknown): void => {
      if (lost || this.#closed || no !== this.#channelNo) return
      lost = true
      this.#channel = undefined
      this.#connection = undefined
      void closeQuietly(connection)   // already broken; closing only releases the socket
      log('lost the broker (%s): reconnecting, %d unconfirmed messages to publish again', errorMessage(why), this.#unconfirmed.size)
      this.#open().then(
        () => this.#wake(),
        err => { this.#fail(err instanceof Error ? err : new Error(String(err))) })
    }
    connection.on('error', err => { onLost(err) })
    connection.on('close', err => { onLost(err ?? new Error('connection closed')) })
    channel.on('close', () => { onLost(new Error('channel closed')) })
    for (const [seq, out] of [...this.#unconfirmed]) {
      if (out.sentOn !== 0 && out.sentOn !== no) await this.#publishOn(channel, no, seq, out)
    }
    return channel
  }

  /** Publishes on channel `no`; a confirm from a channel that is no longer current is ignored (the message goes out again on the next). */
  async #publishOn (channel: ConfirmChannel, no: number, seq: number, out: Outgoing): Promise<void> {
    const { exchange } = this.#init
    out.sentOn = no
    const ok = channel.publish(exchange, out.routingKey, out.content, out.options, err => {
      if (no !== this.#channelNo || !this.#unconfirmed.has(seq)) return
      if (err === null || err === undefined) {
        this.#unconfirmed.delete(seq)
        this.#wake()
      } else if (errorMessage(err) === 'message nacked') {
        this.#fail(new PublishNackedError(exchange, out.routingKey, { cause: err }))
      }
    })
    if (!ok) await new Promise<void>(resolve => { channel.once('drain', resolve); channel.once('close', resolve) })
  }
}

/**
 * The reader of `rabbitmqSource` (see source.ts): one consumer on the queue while the
 * reader has a split, deliveries buffered as they arrive and handed out by `pollNext`,
 * acks sent when the checkpoint covering them completes.
 *
 * `pollNext` returns buffered messages at once; with an empty buffer it returns a promise
 * that resolves to an empty batch when messages arrive (the task then polls again). So a
 * message counts as emitted only when `pollNext` returned it synchronously, and a snapshot
 * taken while a read is pending never covers a message the task has not emitted yet.
 */
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib'
import { logger } from '@libp2p/logger'
import type { SourceReader, SourceReaderContext } from '../../node/api/source.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { AckTracker, type Delivery } from './ack-tracker.ts'
import { closeQuietly, connectWithRetry, redactUrl } from './connection.ts'
import { InvalidSplitError, isResourceRefusal, MalformedMessageError, MissingMessageIdError, RabbitMQConnectionError, RabbitMQConnectorError, RabbitMQResourceError } from './errors.ts'
import { RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS } from './constants.ts'
import { messageIdOf, type RabbitMQSplit, type ResolvedSourceOptions } from './source.ts'

const log = logger('meshflow:connectors:rabbitmq:source')

/** What a reader uses: the task's reader context (signal, side outputs, whether checkpoints come). */
export interface RabbitMQSourceReaderComponents {
  readonly context: SourceReaderContext
}

interface Buffered {
  readonly message: ConsumeMessage
  /** The channel number it came on. */
  readonly channel: number
}

const utf8 = new TextDecoder('utf-8')

/** Reads one queue for one subtask (see the module comment); created by `rabbitmqSource`. */
export class RabbitMQSourceReader<T> implements SourceReader<T, RabbitMQSplit> {
  readonly #context: SourceReaderContext
  readonly #init: ResolvedSourceOptions<T>
  /** Acks wait for checkpoints; without checkpointing a message is acked once the task took it. */
  readonly #checkpointing: boolean
  readonly #tracker: AckTracker
  readonly #splits: RabbitMQSplit[] = []
  #buffer: Buffered[] = []
  #head = 0
  #wake: ((batch: T[] | null) => void) | undefined
  #failure: Error | undefined
  #started = false
  #closed = false
  readonly #stop = new AbortController()
  #connection: ChannelModel | undefined
  #channel: Channel | undefined
  /** Counts channels opened, so that tags of a lost channel are never acked on a new one. */
  #channelNo = 0
  /** Without checkpointing: the last tag handed out, acked on the next poll. */
  #lastTaken: Delivery | undefined
  #stalledLogged = false

  constructor (components: RabbitMQSourceReaderComponents, init: ResolvedSourceOptions<T>) {
    this.#context = components.context
    this.#init = init
    this.#tracker = new AckTracker({ retainMs: init.idRetentionMs })
    this.#checkpointing = components.context.checkpointing !== false
  }

  addSplits (splits: RabbitMQSplit[]): void {
    for (const s of splits) {
      if (typeof s?.id !== 'string' || s.queue !== this.#init.queue) {
        throw new InvalidSplitError(`split ${String(s?.id)} is for queue ${String(s?.queue)}, this source reads ${this.#init.queue}`)
      }
      if (s.ids !== undefined && (!Array.isArray(s.ids) || s.ids.some(id => typeof id !== 'string'))) {
        throw new InvalidSplitError(`split ${s.id} holds ids that are not strings`)
      }
      if (this.#init.exactlyOnce && s.ids !== undefined) this.#tracker.restore(s.ids)
      this.#splits.push({ id: s.id, queue: s.queue })
    }
    if (!this.#started && this.#splits.length > 0) {
      this.#started = true
      // runs until close; its failure is kept in #failure and thrown by the next pollNext
      void this.#consumeLoop().catch(err => { this.#fail(err) })
    }
  }

  pollNext (max: number): T[] | Promise<T[] | null> {
    if (this.#failure !== undefined) throw this.#failure
    if (!this.#checkpointing && this.#lastTaken !== undefined) {
      // a tag of a lost channel is meaningless on the next one (the broker requeued its messages)
      if (this.#lastTaken.channel === this.#channelNo) this.#ackUpTo(this.#lastTaken.tag)
      this.#lastTaken = undefined
    }
    if (this.#head >= this.#buffer.length) {
      if (this.#closed) return Promise.resolve(null)
      if (!this.#stalledLogged && this.#checkpointing && this.#tracker.unacked >= this.#init.prefetch) {
        this.#stalledLogged = true
        log('queue %s: %d messages wait for a checkpoint to complete (prefetch %d); reading resumes when it does', this.#init.queue, this.#tracker.unacked, this.#init.prefetch)
      }
      return new Promise<T[] | null>(resolve => { this.#wake = resolve })
    }
    this.#stalledLogged = false
    const out: T[] = []
    const end = Math.min(this.#buffer.length, this.#head + max)
    for (; this.#head < end; this.#head++) {
      const { message, channel } = this.#buffer[this.#head]!
      const value = this.#take(message, channel)
      if (value !== SKIP) out.push(value)
    }
    if (this.#head === this.#buffer.length) {
      this.#buffer = []
      this.#head = 0
    }
    return out
  }

  /** Records a message as emitted and deserializes it; SKIP for a dropped redelivery or a dead letter. */
  #take (message: ConsumeMessage, channel: number): T | typeof SKIP {
    const { queue, exactlyOnce, idProperty, deadLetter } = this.#init
    const tag = message.fields.deliveryTag
    const id = messageIdOf(message, idProperty)
    if (exactlyOnce && id === undefined) throw new MissingMessageIdError(queue, tag, idProperty)
    if (this.#checkpointing) {
      const taken = this.#tracker.take({ channel, tag }, exactlyOnce ? id : undefined)
      if (taken === 'ack-now') {
        this.#ack([{ channel, tag }], false)
        return SKIP
      }
      if (taken === 'held') return SKIP
    } else {
      this.#lastTaken = { channel, tag }
    }
    try {
      return this.#init.deserialize(message.content, message)
    } catch (err) {
      const error = new MalformedMessageError(queue, tag, id, errorMessage(err), { cause: err })
      if (deadLetter === undefined) throw error
      this.#context.output(deadLetter, { queue, deliveryTag: tag, messageId: id, text: utf8.decode(message.content), error: error.message })
      return SKIP
    }
  }

  snapshotSplits (checkpointId?: number): RabbitMQSplit[] {
    // every checkpoint the engine takes carries an id; without one there is nothing to ack against
    const ids = this.#tracker.snapshot(checkpointId ?? 0)
    return this.#splits.map(s => this.#init.exactlyOnce ? { id: s.id, queue: s.queue, ids } : { id: s.id, queue: s.queue })
  }

  /** The checkpoint completed: what was emitted before its barrier is acknowledged to the broker. */
  notifyCheckpointComplete (checkpointId: number): void {
    const deliveries = this.#tracker.complete(checkpointId)
    this.#ack(deliveries, true)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stop.abort(new Error('The RabbitMQ source reader closed'))
    this.#wakeUp(null)
    const connection = this.#connection
    this.#connection = undefined
    this.#channel = undefined
    // unacked messages go back to the queue when the connection closes
    await closeQuietly(connection)
  }

  /** Acks deliveries of the current channel: one multiple-ack when no pending tag lies below the highest, else one by one. */
  #ack (deliveries: readonly Delivery[], multipleOk: boolean): void {
    const channel = this.#channel
    const current = this.#channelNo
    if (channel === undefined || deliveries.length === 0) return
    let max = -1
    let n = 0
    for (const d of deliveries) if (d.channel === current) { n++; if (d.tag > max) max = d.tag }
    if (n === 0) return
    try {
      if (multipleOk && this.#tracker.lowestPendingTag(current) > max) {
        channel.ack(fakeMessage(max), true)
      } else {
        for (const d of deliveries) if (d.channel === current) channel.ack(fakeMessage(d.tag), false)
      }
    } catch (err) {
      // the channel is closing: the broker requeues these messages; exactlyOnce drops the redeliveries
      log('queue %s: acking %d messages failed: %s', this.#init.queue, n, errorMessage(err))
    }
  }

  #ackUpTo (tag: number): void {
    try {
      this.#channel?.ack(fakeMessage(tag), true)
    } catch (err) {
      log('queue %s: acking up to %d failed: %s', this.#init.queue, tag, errorMessage(err))
    }
  }

  #wakeUp (batch: T[] | null): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.(batch)
  }

  #fail (err: unknown): void {
    if (this.#closed) return
    this.#failure ??= err instanceof Error ? err : new Error(String(err))
    this.#wakeUp([])
  }

  /**
   * Consumes until the reader closes: on a lost connection or channel, reconnects (each time
   * for at most `reconnectMs`) and consumes again; the messages of the lost channel come back
   * from the broker as redeliveries.
   */
  async #consumeLoop (): Promise<void> {
    const { url, queue, prefetch, reconnectMs, heartbeatS } = this.#init
    const signal = AbortSignal.any([this.#stop.signal, this.#context.signal])
    /** When the broker was first lost in the current outage (undefined while consuming). */
    let lostAt: number | undefined
    let pause = RECONNECT_MIN_DELAY_MS
    /** A channel could not be set up: throws when retrying cannot help or took too long, else waits (backing off). */
    const retryAfter = async (err: unknown): Promise<void> => {
      if (isResourceRefusal(err)) throw new RabbitMQResourceError(`Cannot consume queue ${queue} at ${redactUrl(url)}`, { cause: err })
      // a bug (ours, or an option the broker cannot take): trying again cannot help
      if (err instanceof RangeError || err instanceof TypeError) throw new RabbitMQConnectorError(`Cannot consume queue ${queue}: ${errorMessage(err)}`, 'internal', false, { cause: err })
      lostAt ??= Date.now()
      if (Date.now() - lostAt + pause > reconnectMs) throw new RabbitMQConnectionError(redactUrl(url), `gave no channel on queue ${queue} for ${reconnectMs} ms`, { cause: err })
      log('queue %s: opening a channel failed, again in %d ms: %s', queue, pause, errorMessage(err))
      await new Promise(resolve => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, RECONNECT_MAX_DELAY_MS)
    }
    while (!this.#closed) {
      const connection = await connectWithRetry(url, { reconnectMs: Math.max(1, reconnectMs - (lostAt === undefined ? 0 : Date.now() - lostAt)), heartbeatS, signal })
      if (this.#closed) { await closeQuietly(connection); return }
      this.#connection = connection
      const lost = new Promise<unknown>(resolve => {
        connection.on('error', err => { resolve(err) })
        connection.on('close', err => { resolve(err ?? new Error('connection closed')) })
      })
      let channel: Channel
      try {
        channel = await connection.createChannel()
        // registered first: an unhandled 'error' event would end the process
        channel.on('error', err => { log('queue %s: channel error: %s', queue, errorMessage(err)) })
        await channel.prefetch(prefetch)
        await channel.checkQueue(queue)
      } catch (err) {
        await closeQuietly(connection)
        if (this.#closed) return
        await retryAfter(err)
        continue
      }
      const no = ++this.#channelNo
      this.#channel = channel
      const channelLost = new Promise<unknown>(resolve => { channel.on('close', () => { resolve(new Error('channel closed')) }) })
      try {
        await channel.consume(queue, message => {
          if (message === null) {
            this.#fail(new RabbitMQResourceError(`The broker cancelled the consumer of queue ${queue} (was it deleted?)`))
            return
          }
          this.#buffer.push({ message, channel: no })
          this.#wakeUp([])
        }, { noAck: false })
      } catch (err) {
        this.#channel = undefined
        await closeQuietly(connection)
        if (this.#closed) return
        await retryAfter(err)
        continue
      }
      log('queue %s: consuming on channel %d (prefetch %d)', queue, no, prefetch)
      lostAt = undefined
      pause = RECONNECT_MIN_DELAY_MS
      const why = await Promise.race([lost, channelLost])
      if (this.#closed) return
      // the broker requeues what this channel held: drop it from the buffer and the tracker
      this.#channel = undefined
      this.#connection = undefined
      this.#buffer = this.#buffer.slice(this.#head).filter(b => b.channel !== no)
      this.#head = 0
      this.#tracker.dropChannel(no)
      await closeQuietly(connection)
      lostAt = Date.now()
      log('queue %s: lost the broker (%s), reconnecting for up to %d ms', queue, errorMessage(why), reconnectMs)
    }
  }
}

const SKIP: unique symbol = Symbol('skip')

/** amqplib acks by `message.fields.deliveryTag` only. */
function fakeMessage (tag: number): Message {
  return { fields: { deliveryTag: tag } } as unknown as Message
}

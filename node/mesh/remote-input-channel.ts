/**
 * The consumer's end of a network data channel (`/meshflow/data/2`, see data-service.ts):
 * queues what arrives on the peer's mux stream and grants credit as the task takes it.
 */
import type { ChannelReader } from '../runtime/channel.ts'
import type { StreamElement } from '../runtime/stream-element.ts'
import { channelError, type ChannelKey } from './channel-key.ts'
import { decodeElement, isEndElement } from './wire-elements.ts'

/** What a channel needs of the mux stream it arrives on (see MuxReceiver). */
export interface CreditSink {
  /** Grants `credits` more elements on channel `id` (sent with other grants in one frame). */
  grant(id: number, credits: number): void
}

/**
 * The consumer's end: queues what arrives and grants credit as the task takes it.
 *
 * With `encoded`, elements stay bytes until taken: `pollEncoded()` hands them on as they
 * came off the wire (for a thread that forwards them to the task's worker, which decodes
 * them with `decodeElement`), and `poll()` decodes them. Such bytes are validated only where
 * they are decoded, so a malformed element fails the task there rather than the stream.
 */
export class RemoteInputChannel implements ChannelReader {
  readonly capacity: number
  /** Elements, or their bytes when `encoded`. */
  readonly #queue: (StreamElement | Uint8Array)[] = []
  readonly #encoded: boolean
  #head = 0
  #listener: (() => void) | undefined
  #sink: CreditSink | undefined
  #id = -1
  #consumed = 0
  /** Elements the producer may still send: credit granted minus elements received. */
  #allowance = 0
  #ended = false
  readonly #fail: (err: unknown) => void
  readonly key: ChannelKey
  /** The peer the deployment placed the producer subtask on: the only one that may open the channel. */
  readonly producerPeer: string

  constructor (capacity: number, key: ChannelKey, producerPeer: string, fail: (err: unknown) => void, init: { encoded?: boolean } = {}) {
    this.capacity = capacity
    this.#encoded = init.encoded === true
    this.key = key
    this.producerPeer = producerPeer
    this.#fail = err => { fail(channelError('from', producerPeer, key, err)) }
  }

  /** Whether the channel saw its end of input or failed. */
  get ended (): boolean { return this.#ended }

  poll (): StreamElement | undefined {
    const next = this.#take()
    return next instanceof Uint8Array ? decodeElement(next) : next
  }

  /**
   * The next element's bytes as they arrived (only with `encoded`): a view into the received
   * data, so copy it before handing it to another thread.
   */
  pollEncoded (): Uint8Array | undefined {
    if (!this.#encoded) throw new Error('pollEncoded() needs a channel made with { encoded: true }')
    return this.#take() as Uint8Array | undefined
  }

  #take (): StreamElement | Uint8Array | undefined {
    if (this.#head >= this.#queue.length) return undefined
    const element = this.#queue[this.#head++]!
    if (this.#head > 64) {
      this.#queue.splice(0, this.#head)
      this.#head = 0
    }
    if (++this.#consumed >= Math.max(1, this.capacity >> 1)) this.#grant()
    return element
  }

  onAvailable (listener: () => void): void {
    this.#listener = listener
  }

  #grant (): void {
    const credits = this.#consumed
    this.#consumed = 0
    if (credits === 0 || this.#ended || this.#sink === undefined) return
    this.#allowance += credits
    this.#sink.grant(this.#id, credits)
  }

  /** @internal The producer's open frame arrived as channel `id` of a mux stream: grant the first credit. */
  attach (sink: CreditSink, id: number): void {
    this.#sink = sink
    this.#id = id
    this.#allowance = this.capacity
    sink.grant(id, this.capacity)
  }

  /**
   * @internal One element's bytes arrived.
   * @throws when the bytes are malformed or the producer sent more than its credit
   */
  deliver (bytes: Uint8Array): void {
    if (this.#ended) return
    if (this.#allowance <= 0) throw new Error('A producer sent more than its credit allows')
    this.#allowance--
    const element = this.#encoded ? bytes : decodeElement(bytes)
    const wasEmpty = this.#head >= this.#queue.length
    this.#queue.push(element)
    if (element instanceof Uint8Array ? isEndElement(element) : element.type === 'end') {
      this.#ended = true
      this.#sink = undefined
    }
    if (wasEmpty) this.#listener?.()
  }

  /** @internal The channel broke (its stream failed, or the producer aborted it). */
  fail (err: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#sink = undefined
    this.#fail(err)
  }
}

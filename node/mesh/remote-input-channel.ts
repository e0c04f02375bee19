/**
 * The consumer's end of a network data channel (`/meshflow/data/1`, see data-service.ts):
 * queues what arrives and grants credit as the task takes it.
 */
import type { Stream } from '@libp2p/interface'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { encodeFrame } from '../../protocol/framing.ts'
import type { ChannelReader } from '../runtime/channel.ts'
import type { StreamElement } from '../runtime/stream-element.ts'
import { channelError, type ChannelKey } from './channel-key.ts'
import { fromWire } from './wire-elements.ts'
import { ProducerFailedError } from './errors.ts'

/** The consumer's end: queues what arrives and grants credit as the task takes it. */
export class RemoteInputChannel implements ChannelReader {
  readonly capacity: number
  readonly #queue: StreamElement[] = []
  #head = 0
  #listener: (() => void) | undefined
  #stream: Stream | undefined
  #consumed = 0
  #ended = false
  readonly #fail: (err: unknown) => void
  readonly #key: ChannelKey
  /** The peer the deployment placed the producer subtask on: the only one that may open the channel. */
  readonly producerPeer: string
  #peer = '?'

  constructor (capacity: number, key: ChannelKey, producerPeer: string, fail: (err: unknown) => void) {
    this.capacity = capacity
    this.#key = key
    this.producerPeer = producerPeer
    this.#fail = err => { fail(channelError('from', this.#peer, key, err)) }
  }

  poll (): StreamElement | undefined {
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
    if (credits === 0 || this.#ended || this.#stream === undefined) return
    try {
      this.#stream.send(encodeFrame(DATA_CODEC.encode({ type: 'credit', channel: 0, credits }), DATA_CODEC.maxFrameBytes))
    } catch (err) {
      this.#ended = true
      this.#fail(err)
    }
  }

  /** @internal Takes over the stream the producer opened; `rest` yields what follows open-channel. */
  async attach (stream: Stream, rest: AsyncIterator<Uint8Array>, peer: string): Promise<void> {
    this.#stream = stream
    this.#peer = peer
    stream.send(encodeFrame(DATA_CODEC.encode({ type: 'credit', channel: 0, credits: this.capacity }), DATA_CODEC.maxFrameBytes))
    try {
      for (;;) {
        const next = await rest.next()
        if (next.done === true) break
        const m = DATA_CODEC.decode(next.value)
        if (m.type === 'open-channel' || m.type === 'credit') throw new Error(`Unexpected '${m.type}' message on an open channel`)
        // the producer's subtasks failed: fail with their reason, not with a broken stream
        if (m.type === 'abort') throw new ProducerFailedError(m.reason)
        if (this.#queue.length - this.#head >= this.capacity + 1) throw new Error('A producer sent more than its credit allows')
        const element = fromWire(m)
        const wasEmpty = this.#head >= this.#queue.length
        this.#queue.push(element)
        if (element.type === 'end') this.#ended = true
        if (wasEmpty) this.#listener?.()
      }
      if (!this.#ended) throw new Error('The channel closed before its end of input')
      await stream.close().catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      this.#fail(err)
    }
  }
}

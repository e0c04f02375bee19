/**
 * Network channels between subtasks on different peers (`/meshflow/data/1`, DESIGN §4).
 * One libp2p stream carries one channel: the producer opens it with `open-channel` naming
 * the job attempt, the edge and the two subtasks, then sends the channel's elements as
 * frames; the receiver answers with credit grants. Flow control is credit based as in
 * Flink: the receiver grants as many elements as it has room for (the channel capacity),
 * the producer never has more in flight, and the producer's task stops taking input while
 * its channel has no credit, so a slow consumer backpressures its producers across peers.
 *
 * Both ends implement the runtime's channel interface, so tasks cannot tell them from
 * in-memory channels.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { errorMessage } from '../../protocol/error-message.ts'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import type { DataMessage, OpenChannel } from '../../protocol/data.ts'
import { DATA_STREAM_LIMITS, DEFAULT_NETWORK_CAPACITY, MAX_WAITING_CHANNELS, MAX_WAITING_CHANNELS_PER_PEER, REGISTRATION_TIMEOUT_MS } from './constants.ts'
import { keyOf, type ChannelKey } from './channel-key.ts'
import { RemoteInputChannel } from './remote-input-channel.ts'
import { RemoteOutputChannel } from './remote-output-channel.ts'

export type { ChannelKey } from './channel-key.ts'
export { RemoteInputChannel } from './remote-input-channel.ts'
export { RemoteOutputChannel } from './remote-output-channel.ts'

const log = logger('meshflow:mesh:data')

/**
 * The data plane of one peer: serves `/meshflow/data/1` and makes both ends of network
 * channels. A producer's stream that arrives before its consumer task was deployed waits
 * (up to 30 s) for it.
 */
export class DataService {
  readonly #node: Libp2p
  readonly #capacity: number
  readonly #readers = new Map<string, RemoteInputChannel>()
  readonly #waiting = new Map<string, { peer: string, resolve: (reader: RemoteInputChannel) => void, reject: (err: Error) => void, timer: ReturnType<typeof setTimeout> }>()
  readonly #waitingFrom = new Map<string, number>()
  #started = false

  constructor (node: Libp2p, init: { capacity?: number } = {}) {
    this.#node = node
    this.#capacity = init.capacity ?? DEFAULT_NETWORK_CAPACITY
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#node.handle(DATA_CODEC.protocol, (stream: Stream, connection: { remotePeer: PeerId }) => { void this.#accept(stream, connection.remotePeer.toString()) }, { ...DATA_STREAM_LIMITS })
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#node.unhandle(DATA_CODEC.protocol)
    this.#readers.clear()
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer)
      w.reject(new Error('The data service stopped'))
    }
    this.#waiting.clear()
  }

  async #accept (stream: Stream, peer: string): Promise<void> {
    const frames = decodeFrames(stream, { maxBytes: DATA_CODEC.maxFrameBytes })[Symbol.asyncIterator]()
    try {
      const first = await frames.next()
      if (first.done === true) throw new Error('A data stream ended before open-channel')
      const open = DATA_CODEC.decode(first.value) as DataMessage
      if (open.type !== 'open-channel') throw new Error(`A data stream must start with open-channel, not '${open.type}'`)
      const key = keyOf(open)
      let reader = this.#readers.get(key)
      if (reader === undefined) {
        if (this.#waiting.has(key)) throw new Error(`Channel ${key} is open already`)
        const fromPeer = this.#waitingFrom.get(peer) ?? 0
        if (this.#waiting.size >= MAX_WAITING_CHANNELS || fromPeer >= MAX_WAITING_CHANNELS_PER_PEER) {
          throw new Error(`Too many channels wait for their consumer task (${this.#waiting.size}, ${fromPeer} from this peer)`)
        }
        this.#waitingFrom.set(peer, fromPeer + 1)
        try {
          reader = await new Promise<RemoteInputChannel>((resolve, reject) => {
            const timer = setTimeout(() => {
              this.#waiting.delete(key)
              reject(new Error(`No task is waiting for channel ${key}`))
            }, REGISTRATION_TIMEOUT_MS)
            this.#waiting.set(key, { peer, resolve: r => { clearTimeout(timer); resolve(r) }, reject, timer })
          })
        } finally {
          const n = (this.#waitingFrom.get(peer) ?? 1) - 1
          if (n <= 0) this.#waitingFrom.delete(peer)
          else this.#waitingFrom.set(peer, n)
        }
      }
      // only the peer that the deployment placed the producer on may feed the channel
      // (noise authenticates the connection's remote peer id)
      if (peer !== reader.producerPeer) throw new Error(`Peer ${peer} opened channel ${key}, whose producer runs on peer ${reader.producerPeer}`)
      this.#readers.delete(key)
      await reader.attach(stream, frames, peer)
    } catch (err) {
      log.error('data stream from %s refused: %s', peer, errorMessage(err))
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The consumer's end of a channel from the producer subtask on `producerPeer`. */
  reader (key: ChannelKey, producerPeer: string, fail: (err: unknown) => void): RemoteInputChannel {
    const reader = new RemoteInputChannel(this.#capacity, key, producerPeer, fail)
    const k = keyOf(key)
    const waiting = this.#waiting.get(k)
    if (waiting !== undefined && waiting.peer === producerPeer) {
      this.#waiting.delete(k)
      waiting.resolve(reader)
    } else {
      if (waiting !== undefined) {
        // another peer opened it first: refuse that one, wait for the producer
        clearTimeout(waiting.timer)
        this.#waiting.delete(k)
        waiting.reject(new Error(`Peer ${waiting.peer} opened channel ${k}, whose producer runs on peer ${producerPeer}`))
      }
      this.#readers.set(k, reader)
    }
    return reader
  }

  /** The producer's end of a channel to a subtask on `peer`; the stream opens in the background. */
  writer (peer: string | PeerId, key: ChannelKey, fail: (err: unknown) => void, signal: AbortSignal): RemoteOutputChannel {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const writer = new RemoteOutputChannel(peerId.toString(), key, fail)
    const open: OpenChannel = { type: 'open-channel', channel: 0, ...key }
    void (async () => {
      try {
        const stream = await this.#node.dialProtocol(peerId, DATA_CODEC.protocol, { signal, ...DATA_STREAM_LIMITS })
        stream.send(encodeFrame(DATA_CODEC.encode(open), DATA_CODEC.maxFrameBytes))
        writer.attach(stream)
      } catch (err) {
        if (!signal.aborted) writer.fail(err)
      }
    })()
    return writer
  }

  /** Forgets channels of a job that ended (readers whose producer never connected). */
  forgetJob (jobId: string, attempt?: number): void {
    // one attempt only when given: the next attempt of the job may already be running here
    const prefix = attempt === undefined ? `${jobId}/` : `${jobId}/${attempt}/`
    for (const k of this.#readers.keys()) if (k.startsWith(prefix)) this.#readers.delete(k)
    for (const [k, w] of this.#waiting) {
      if (!k.startsWith(prefix)) continue
      clearTimeout(w.timer)
      this.#waiting.delete(k)
      w.reject(new Error(`Job ${jobId} ended before its channel ${k} was used`))
    }
  }
}

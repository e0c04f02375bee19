/**
 * Network channels between subtasks on different peers (`/meshflow/data/2`, DESIGN §4).
 * All channels from the producer subtasks on one peer to the consumer subtasks on another
 * share one stream (MuxSender on the producer's peer, MuxReceiver on the consumer's), as
 * Flink's TaskManagers share one TCP connection: a keyBy at parallelism N across N peers
 * opens N - 1 streams per peer, not N² in all. Each channel has a number on its stream,
 * given in its `open` frame with the job attempt, the edge and the two subtasks; its
 * elements follow as frames naming that number (`protocol/data-mux.ts`).
 *
 * Flow control is credit based as in Flink: the receiver grants as many elements as it has
 * room for (the channel capacity), the producer never has more in flight, and the
 * producer's task stops taking input while its channel has no credit, so a slow consumer
 * backpressures its producers across peers and one slow channel does not stop the others.
 *
 * Both ends implement the runtime's channel interface, so tasks cannot tell them from
 * in-memory channels.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { DATA_STREAM_LIMITS, DEFAULT_NETWORK_CAPACITY, MAX_WAITING_CHANNELS, MAX_WAITING_CHANNELS_PER_PEER, REGISTRATION_TIMEOUT_MS } from './constants.ts'
import { keyOf, type ChannelKey } from './channel-key.ts'
import { MuxReceiver } from './mux-receiver.ts'
import { MuxSender } from './mux-sender.ts'
import { RemoteInputChannel } from './remote-input-channel.ts'
import { RemoteOutputChannel } from './remote-output-channel.ts'
import { ProducerFailedError } from './errors.ts'

export type { ChannelKey } from './channel-key.ts'
export { RemoteInputChannel } from './remote-input-channel.ts'
export { RemoteOutputChannel } from './remote-output-channel.ts'

const log = logger('meshflow:mesh:data')

interface Waiting {
  readonly receiver: MuxReceiver
  readonly id: number
  readonly timer: ReturnType<typeof setTimeout>
  /** The producer aborted the channel before its reader came: why (the reader fails with it). */
  aborted?: string
}

/** Options of a DataService; the defaults are in constants.ts. */
export interface DataServiceInit {
  /** Elements in flight per channel (the receiver's credit). */
  readonly capacity?: number
  /** How many opened channels may wait for their reader, in all and from one peer. */
  readonly maxWaitingChannels?: number
  readonly maxWaitingChannelsPerPeer?: number
  /** How long an opened channel waits for its reader before it is refused. */
  readonly registrationTimeoutMs?: number
}

/**
 * The data plane of one peer: serves `/meshflow/data/2` and makes both ends of network
 * channels. A channel that opens before its consumer task was deployed waits (up to 30 s)
 * for it, without credit, so nothing of it is buffered.
 */
export class DataService {
  readonly #node: Libp2p
  readonly #capacity: number
  readonly #maxWaiting: number
  readonly #maxWaitingPerPeer: number
  readonly #registrationTimeoutMs: number
  /** Readers whose producer has not opened the channel yet. */
  readonly #readers = new Map<string, RemoteInputChannel>()
  /** Channels opened before their reader. */
  readonly #waiting = new Map<string, Waiting>()
  readonly #waitingFrom = new Map<string, number>()
  readonly #senders = new Map<string, MuxSender>()
  readonly #receivers = new Set<MuxReceiver>()
  #started = false

  constructor (node: Libp2p, init: DataServiceInit = {}) {
    this.#node = node
    this.#capacity = init.capacity ?? DEFAULT_NETWORK_CAPACITY
    this.#maxWaiting = init.maxWaitingChannels ?? MAX_WAITING_CHANNELS
    this.#maxWaitingPerPeer = init.maxWaitingChannelsPerPeer ?? MAX_WAITING_CHANNELS_PER_PEER
    this.#registrationTimeoutMs = init.registrationTimeoutMs ?? REGISTRATION_TIMEOUT_MS
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#node.handle(DATA_CODEC.protocol, (stream: Stream, connection: { remotePeer: PeerId }) => { this.#accept(stream, connection.remotePeer.toString()) }, { ...DATA_STREAM_LIMITS })
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    await this.#node.unhandle(DATA_CODEC.protocol)
    this.#readers.clear()
    for (const s of [...this.#senders.values()]) s.stop()
    this.#senders.clear()
    for (const r of [...this.#receivers]) r.stop()
    this.#receivers.clear()
    for (const w of this.#waiting.values()) clearTimeout(w.timer)
    this.#waiting.clear()
    this.#waitingFrom.clear()
  }

  #accept (stream: Stream, peer: string): void {
    const receiver = new MuxReceiver({ stream, peer, hooks: this.#hooks })
    this.#receivers.add(receiver)
    void receiver.run()
  }

  readonly #hooks = {
    open: (receiver: MuxReceiver, id: number, key: ChannelKey): void => { this.#open(receiver, id, key) },
    abortWaiting: (receiver: MuxReceiver, id: number, reason: string): void => {
      for (const [k, w] of this.#waiting) {
        if (w.receiver !== receiver || w.id !== id) continue
        // kept until its reader comes (or the timeout), so the reader fails with the reason
        w.aborted = reason
        log('channel %s from %s aborted before its reader came: %s', k, receiver.peer, reason)
      }
    },
    closed: (receiver: MuxReceiver): void => {
      this.#receivers.delete(receiver)
      for (const [k, w] of this.#waiting) if (w.receiver === receiver) this.#unwait(k, w)
    }
  }

  #unwait (k: string, w: Waiting): void {
    clearTimeout(w.timer)
    this.#waiting.delete(k)
    const n = (this.#waitingFrom.get(w.receiver.peer) ?? 1) - 1
    if (n <= 0) this.#waitingFrom.delete(w.receiver.peer)
    else this.#waitingFrom.set(w.receiver.peer, n)
  }

  #refuse (receiver: MuxReceiver, id: number, reason: string): void {
    log.error('data channel from %s refused: %s', receiver.peer, reason)
    receiver.refuse(id, reason)
  }

  #open (receiver: MuxReceiver, id: number, key: ChannelKey): void {
    const peer = receiver.peer
    const k = keyOf(key)
    const reader = this.#readers.get(k)
    if (reader !== undefined) {
      // only the peer that the deployment placed the producer on may feed the channel
      // (noise authenticates the connection's remote peer id)
      if (peer !== reader.producerPeer) {
        this.#refuse(receiver, id, `Peer ${peer} opened channel ${k}, whose producer runs on peer ${reader.producerPeer}`)
        return
      }
      this.#readers.delete(k)
      receiver.attach(id, reader)
      return
    }
    if (this.#waiting.has(k)) {
      this.#refuse(receiver, id, `Channel ${k} is open already`)
      return
    }
    const fromPeer = this.#waitingFrom.get(peer) ?? 0
    if (this.#waiting.size >= this.#maxWaiting || fromPeer >= this.#maxWaitingPerPeer) {
      this.#refuse(receiver, id, `Too many channels wait for their consumer task (${this.#waiting.size}, ${fromPeer} from this peer)`)
      return
    }
    this.#waitingFrom.set(peer, fromPeer + 1)
    const timer = setTimeout(() => {
      const w = this.#waiting.get(k)
      if (w === undefined) return
      this.#unwait(k, w)
      if (w.aborted === undefined) this.#refuse(receiver, id, `No task is waiting for channel ${k}`)
    }, this.#registrationTimeoutMs)
    this.#waiting.set(k, { receiver, id, timer })
  }

  /**
   * The consumer's end of a channel from the producer subtask on `producerPeer`; with
   * `encoded`, its elements stay bytes until taken (see RemoteInputChannel).
   */
  reader (key: ChannelKey, producerPeer: string, fail: (err: unknown) => void, options: { encoded?: boolean } = {}): RemoteInputChannel {
    const reader = new RemoteInputChannel(this.#capacity, key, producerPeer, fail, options)
    const k = keyOf(key)
    const waiting = this.#waiting.get(k)
    if (waiting !== undefined) {
      this.#unwait(k, waiting)
      if (waiting.receiver.peer === producerPeer) {
        if (waiting.aborted !== undefined) reader.fail(new ProducerFailedError(waiting.aborted))
        else waiting.receiver.attach(waiting.id, reader)
        return reader
      }
      // another peer opened it first: refuse that one, wait for the producer
      this.#refuse(waiting.receiver, waiting.id, `Peer ${waiting.receiver.peer} opened channel ${k}, whose producer runs on peer ${producerPeer}`)
    }
    this.#readers.set(k, reader)
    return reader
  }

  /** The producer's end of a channel to a subtask on `peer`, on the stream shared with that peer. */
  writer (peer: string | PeerId, key: ChannelKey, fail: (err: unknown) => void, signal: AbortSignal): RemoteOutputChannel {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const id = peerId.toString()
    // once the job is being cancelled its channels' failures are no news
    const writer = new RemoteOutputChannel(id, key, err => { if (!signal.aborted) fail(err) })
    let sender = this.#senders.get(id)
    if (sender === undefined || !sender.open) {
      sender = new MuxSender({ node: this.#node }, {
        peer: peerId,
        onClose: s => { if (this.#senders.get(s.peer) === s) this.#senders.delete(s.peer) }
      })
      this.#senders.set(id, sender)
    }
    sender.add(key, writer)
    return writer
  }

  /** Data streams this peer has open, for tests and metrics: outbound (one per peer) and inbound. */
  get streams (): { readonly outbound: number, readonly inbound: number } {
    return { outbound: this.#senders.size, inbound: this.#receivers.size }
  }

  /** Channels opened by their producer that wait for their reader (for tests and metrics). */
  get waiting (): number {
    return this.#waiting.size
  }

  /** Forgets channels of a job that ended (readers whose producer never connected, channels still open). */
  forgetJob (jobId: string, attempt?: number): void {
    // one attempt only when given: the next attempt of the job may already be running here
    const prefix = attempt === undefined ? `${jobId}/` : `${jobId}/${attempt}/`
    for (const k of this.#readers.keys()) if (k.startsWith(prefix)) this.#readers.delete(k)
    for (const [k, w] of [...this.#waiting]) {
      if (!k.startsWith(prefix)) continue
      this.#unwait(k, w)
      w.receiver.refuse(w.id, `Job ${jobId} ended before its channel ${k} was used`)
    }
    for (const r of this.#receivers) r.drop(reader => keyOf(reader.key).startsWith(prefix))
  }
}

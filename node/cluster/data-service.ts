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
import { DATA_CODEC } from '../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import type { DataMessage, OpenChannel, WireStreamElement } from '../../protocol/data.ts'
import type { ChannelReader, ChannelWriter } from '../runtime/channel.ts'
import { END_OF_INPUT, ACTIVE, IDLE, type StreamElement } from '../runtime/stream-element.ts'
import { DATA_STREAM_LIMITS } from '../mesh/constants.ts'

const log = logger('meshflow:cluster:data')

/**
 * Names one channel of one job attempt on the wire: the job, its attempt, the edge
 * (`producerVertex` is the producer vertex id and the edge's index, as several edges may
 * join two vertices) and the two subtasks.
 */
export type ChannelKey = Omit<OpenChannel, 'type' | 'channel'>

/** Channel elements in flight per channel (the receiver's credit). */
export const DEFAULT_NETWORK_CAPACITY = 8
/** How long an arriving channel waits for its consumer task to be deployed. */
const REGISTRATION_TIMEOUT_MS = 30_000
/**
 * How many arriving channels may wait for their consumer task at once, in all and from one
 * peer: a peer that opens channels no task will ever read cannot pile up streams and timers.
 */
const MAX_WAITING_CHANNELS = 4096
const MAX_WAITING_CHANNELS_PER_PEER = 1024

/** A network channel broke: names the other peer and the subtasks the channel joins. */
export class ChannelError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ChannelError'
  }
}

function describeChannel (k: ChannelKey): string {
  return `${k.producerVertex.replace(/#\d+$/, '')}[${k.producerSubtask}] -> ${k.consumerVertex}[${k.consumerSubtask}]`
}

function channelError (direction: 'to' | 'from', peer: string, key: ChannelKey, err: unknown): ChannelError {
  const reason = err instanceof Error ? err.message : String(err)
  return new ChannelError(`Network channel ${direction} peer ${peer} (${describeChannel(key)}) failed: ${reason}`, { cause: err })
}

function keyOf (k: ChannelKey): string {
  return `${k.jobId}/${k.attempt}/${k.producerVertex}/${k.producerSubtask}/${k.consumerVertex}/${k.consumerSubtask}`
}

function toWire (element: StreamElement): WireStreamElement {
  switch (element.type) {
    case 'records': return { type: 'records', channel: 0, values: element.values, timestamps: element.timestamps }
    case 'watermark': return { type: 'watermark', channel: 0, timestamp: element.timestamp }
    case 'status': return { type: 'status', channel: 0, idle: element.idle }
    case 'end': return { type: 'end', channel: 0 }
    case 'barrier': return { type: 'barrier', channel: 0, checkpointId: element.checkpointId }
  }
}

function fromWire (m: WireStreamElement): StreamElement {
  switch (m.type) {
    case 'records': return { type: 'records', values: m.values as unknown[], timestamps: m.timestamps as number[] }
    case 'watermark': return { type: 'watermark', timestamp: m.timestamp }
    case 'status': return m.idle ? IDLE : ACTIVE
    case 'end': return END_OF_INPUT
    case 'barrier': return { type: 'barrier', checkpointId: m.checkpointId }
  }
}

/** The producer's end: encodes elements and sends them while it holds credit. */
export class RemoteOutputChannel implements ChannelWriter {
  readonly #pending: StreamElement[] = []
  #stream: Stream | undefined
  #credits = 0
  #closed = false
  #waiters: (() => void)[] = []
  readonly #fail: (err: unknown) => void
  readonly #peer: string
  readonly #key: ChannelKey
  /** Bytes written to the network (for metrics and tests). */
  bytesOut = 0

  constructor (peer: string, key: ChannelKey, fail: (err: unknown) => void) {
    this.#peer = peer
    this.#key = key
    this.#fail = err => { fail(channelError('to', peer, key, err)) }
  }

  /** Fails the channel (and so its job) with an error naming the peer and the subtasks. */
  fail (err: unknown): void {
    this.#fail(err)
  }

  get queued (): number { return this.#pending.length }
  get writable (): boolean { return this.#credits > this.#pending.length }

  send (element: StreamElement): void {
    this.#pending.push(element)
    this.#pump()
  }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || this.#closed || signal?.aborted === true) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.push(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** @internal Called once the stream is open and the open-channel message is on its way. */
  attach (stream: Stream): void {
    this.#stream = stream
    void this.#readCredits(stream)
    this.#pump()
  }

  async #readCredits (stream: Stream): Promise<void> {
    try {
      for await (const payload of decodeFrames(stream, { maxBytes: DATA_CODEC.maxFrameBytes })) {
        const m = DATA_CODEC.decode(payload)
        if (m.type !== 'credit') throw new Error(`Unexpected '${m.type}' message from a channel's receiver`)
        this.#credits += m.credits
        this.#pump()
      }
    } catch (err) {
      if (!this.#closed) this.#fail(err)
    }
  }

  #pump (): void {
    const stream = this.#stream
    if (stream === undefined) return
    while (this.#credits > 0 && this.#pending.length > 0) {
      const element = this.#pending.shift()!
      this.#credits--
      const frame = encodeFrame(DATA_CODEC.encode(toWire(element)), DATA_CODEC.maxFrameBytes)
      this.bytesOut += frame.byteLength
      // credit bounds what is in flight, so the stream's own buffer stays bounded too
      try {
        stream.send(frame)
      } catch (err) {
        this.#closed = true
        throw channelError('to', this.#peer, this.#key, err)
      }
      if (element.type === 'end') {
        this.#closed = true
        void stream.close().catch(err => { log('closing a data stream: %s', err instanceof Error ? err.message : err) })
      }
    }
    if (this.writable && this.#waiters.length > 0) this.release()
  }

  /** Wakes writers waiting for credit (the job ended). */
  release (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  abort (err: Error): void {
    this.#closed = true
    this.#stream?.abort(err)
    this.release()
  }
}

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
      log.error('data stream from %s refused: %s', peer, err instanceof Error ? err.message : err)
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

/**
 * The producer side of a peer pair's data stream (`/meshflow/data/2`): every channel from
 * a subtask on this peer to a subtask on one other peer is a numbered channel of one
 * outbound stream. Frames of all channels gather in one buffer that is written once per
 * event-loop turn (or whenever it passes `WRITE_BATCH_BYTES`), so many small elements
 * cost one encryption and one socket write; credits and refusals come back on the stream.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { Uint8ArrayList } from 'uint8arraylist'
import { DATA_CODEC } from '../../protocol/codec.ts'
import { WRITE_BATCH_BYTES } from '../../protocol/constants.ts'
import { decodeMuxFrame, encodeElementHeader, encodeOpenFrame, encodeReasonFrame } from '../../protocol/data-mux.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { decodeFrames, encodeLengthPrefix, lengthPrefixBytes } from '../../protocol/framing.ts'
import { asError } from './as-error.ts'
import type { ChannelKey } from './channel-key.ts'
import { DATA_STREAM_LIMITS } from './constants.ts'
import { ChannelRefusedError, DataStreamError } from './errors.ts'
import type { ChannelSink, RemoteOutputChannel } from './remote-output-channel.ts'

const log = logger('meshflow:mesh:data')

export interface MuxSenderComponents {
  readonly node: Libp2p
}

export interface MuxSenderInit {
  /** The peer the consumer subtasks run on. */
  readonly peer: PeerId
  /** Called once when the stream is gone (failed or closed): the service forgets this sender. */
  readonly onClose: (sender: MuxSender) => void
}

/** One outbound data stream to one peer, shared by all channels to that peer. */
export class MuxSender implements ChannelSink {
  readonly #node: Libp2p
  readonly #init: MuxSenderInit
  readonly peer: string
  readonly #channels = new Map<number, RemoteOutputChannel>()
  #nextId = 0
  #stream: Stream | undefined
  #out = new Uint8ArrayList()
  #flushScheduled = false
  #closed = false

  constructor (components: MuxSenderComponents, init: MuxSenderInit) {
    this.#node = components.node
    this.#init = init
    this.peer = init.peer.toString()
    void this.#dial()
  }

  /** Whether the sender still takes channels. */
  get open (): boolean { return !this.#closed }
  /** Channels open on this stream. */
  get channels (): number { return this.#channels.size }

  /** Adds a channel to the stream: sends its open frame, credit will follow. */
  add (key: ChannelKey, writer: RemoteOutputChannel): void {
    const id = this.#nextId++
    this.#channels.set(id, writer)
    writer.attach(this, id)
    this.#queue(encodeOpenFrame(id, key))
  }

  element (id: number, bytes: Uint8Array): number {
    const header = encodeElementHeader(id)
    const length = header.byteLength + bytes.byteLength
    if (length > DATA_CODEC.maxFrameBytes) throw new DataStreamError(`An element of ${length} bytes is larger than a data frame may be (${DATA_CODEC.maxFrameBytes})`)
    const prefix = encodeLengthPrefix(length)
    this.#out.append(prefix)
    this.#out.append(header)
    this.#out.append(bytes)
    this.#scheduleFlush()
    return prefix.byteLength + length
  }

  abort (id: number, reason: string): void {
    if (this.#channels.delete(id)) this.#queue(encodeReasonFrame('abort', id, reason))
  }

  done (id: number): void {
    this.#channels.delete(id)
  }

  #queue (payload: Uint8Array): void {
    if (this.#closed) return
    const framed = new Uint8Array(lengthPrefixBytes(payload.byteLength) + payload.byteLength)
    framed.set(encodeLengthPrefix(payload.byteLength))
    framed.set(payload, framed.byteLength - payload.byteLength)
    this.#out.append(framed)
    this.#scheduleFlush()
  }

  #scheduleFlush (): void {
    if (this.#out.byteLength >= WRITE_BATCH_BYTES) {
      this.#flush()
      return
    }
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // one write per event-loop turn: a task emitting many small elements in a row shares it
    setImmediate(() => {
      this.#flushScheduled = false
      this.#flush()
    })
  }

  #flush (): void {
    const stream = this.#stream
    if (stream === undefined || this.#out.byteLength === 0 || this.#closed) return
    const out = this.#out
    this.#out = new Uint8ArrayList()
    try {
      // one contiguous chunk: the layers below (yamux, noise, TCP) turn every chunk of a
      // list into its own encryption call and its own socket write.
      // Credit bounds what every channel has in flight, so the stream's buffer stays bounded
      // without waiting for 'drain'
      stream.send(out.subarray())
    } catch (err) {
      this.#close(new DataStreamError(`Writing to the data stream to peer ${this.peer} failed: ${errorMessage(err)}`, { cause: err }))
    }
  }

  async #dial (): Promise<void> {
    try {
      const stream = await this.#node.dialProtocol(this.#init.peer, DATA_CODEC.protocol, { ...DATA_STREAM_LIMITS })
      if (this.#closed) {
        stream.abort(new Error('The data service stopped'))
        return
      }
      this.#stream = stream
      this.#flush()
      await this.#read(stream)
    } catch (err) {
      this.#close(err)
    }
  }

  async #read (stream: Stream): Promise<void> {
    for await (const payload of decodeFrames(stream, { maxBytes: DATA_CODEC.maxFrameBytes })) {
      const frame = decodeMuxFrame(payload)
      if (frame.kind === 'credit') {
        for (const [id, credits] of frame.grants) this.#channels.get(id)?.grant(credits)
      } else if (frame.kind === 'refuse') {
        const writer = this.#channels.get(frame.channel)
        this.#channels.delete(frame.channel)
        writer?.fail(new ChannelRefusedError(frame.reason))
      } else {
        throw new DataStreamError(`Unexpected '${frame.kind}' frame from a consumer`)
      }
    }
    if (this.#channels.size > 0) throw new DataStreamError(`The data stream closed with ${this.#channels.size} channels open`)
    this.#close(undefined)
  }

  #close (err: unknown): void {
    if (this.#closed) return
    this.#closed = true
    this.#init.onClose(this)
    const channels = [...this.#channels.values()]
    this.#channels.clear()
    this.#out = new Uint8ArrayList()
    if (err !== undefined) {
      if (channels.length > 0) log.error('data stream to %s failed (%d channels): %s', this.peer, channels.length, errorMessage(err))
      this.#stream?.abort(asError(err))
    } else {
      void this.#stream?.close().catch(() => {})
    }
    for (const w of channels) w.fail(err ?? new DataStreamError('The data stream closed'))
  }

  /** Closes the stream; open channels fail with `err`. */
  stop (err: Error = new DataStreamError('The data service stopped')): void {
    this.#close(this.#channels.size > 0 ? err : undefined)
  }
}

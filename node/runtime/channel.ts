/**
 * The two ends of a channel as the runtime sees them. A task writes to ChannelWriters and
 * reads from ChannelReaders and knows nothing else of the transport, so the same tasks run
 * over in-memory channels in one process and over libp2p streams across peers.
 *
 * Flow control is credit based: a writer is `writable` while the receiver has granted room
 * for more elements. `send` never refuses (an operator emits synchronously and cannot wait
 * in the middle of a batch), so a task checks `writable` after each batch it processed
 * and waits on `whenWritable()` before it takes more input. The overshoot is bounded by
 * what one input batch produces.
 */
import type { StreamElement } from './stream-element.ts'

export interface ChannelWriter {
  send(element: StreamElement): void
  readonly writable: boolean
  /** Resolves when the receiver has room again (or at once when it has now, or when `signal` aborts). */
  whenWritable(signal?: AbortSignal): Promise<void>
  /** Number of elements sent and not yet taken by the receiver. */
  readonly queued: number
}

export interface ChannelReader {
  /**
   * True when everything the channel will deliver exists already (a blocking partition,
   * written in full by a finished stage): reading it first cannot hold up its producer.
   */
  readonly materialized?: boolean
  /** The next element, or `undefined` when none is waiting. */
  poll(): StreamElement | undefined
  /** Called (synchronously, from `send`) whenever an element arrives on an empty channel. */
  onAvailable(listener: () => void): void
}

/**
 * The writing end of a network channel for elements that are bytes already
 * (protocol/element-codec.ts): what a relay between a task thread and the network uses.
 */
export interface EncodedChannelWriter {
  sendEncoded(bytes: Uint8Array): void
  readonly writable: boolean
  whenWritable(signal?: AbortSignal): Promise<void>
}

/** The reading end of a network channel that hands on elements as the bytes they arrived as. */
export interface EncodedChannelReader {
  /** The next element's bytes (a view: copy before keeping or transferring), or `undefined`. */
  pollEncoded(): Uint8Array | undefined
  onAvailable(listener: () => void): void
}

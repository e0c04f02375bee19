/**
 * The two ends of a blocking exchange (batch execution, see pipelined-regions.ts): the
 * writer encodes what a producer subtask sends one consumer subtask (protocol/element-codec.ts),
 * packs the encoded elements into blocks of at most `blockBytes` and stores each in the
 * replicated block store as it fills, so a finished stage's output outlives its producer's
 * peer; the reader hands a consumer those blocks' elements in order, fetching a few blocks
 * ahead. Watermarks other than the final one, idleness and barriers are dropped: a batch
 * job has no event-time progress before the end of its input, and takes no checkpoints.
 *
 * @example
 * const w = new BlockChannelWriter({ blocks, fail })
 * w.send(batch); w.send(END_OF_INPUT)
 * const cids = await w.done
 * const r = new BlockChannelReader({ blocks, cids, fail })
 */
import { decodeElement, encodeElement, isEndElement } from '../../protocol/element-codec.ts'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import type { ChannelReader, ChannelWriter, EncodedChannelReader, EncodedChannelWriter } from './channel.ts'
import { END_OF_INPUT, MAX_WATERMARK, type StreamElement } from './stream-element.ts'
import { framedSize, framePartitionBlock, unframePartitionBlock } from './blocking-results.ts'
import { BlockingResultError } from './errors.ts'

/** Where blocking results are stored and read (the peer's replicated block store). */
export interface ResultBlocks {
  /** Stores a block on its replica peers; resolves with its CID once they hold it. */
  store(bytes: Uint8Array): Promise<string>
  /** A block's verified bytes. */
  fetch(cid: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/** Bytes of elements per block (under the block store's limit, with room for the prefixes). */
export const RESULT_BLOCK_BYTES = MAX_BLOCK_BYTES - 64
/** Blocks being stored at once per writer before it stops being writable. */
export const RESULT_STORES_IN_FLIGHT = 2
/** Blocks a reader fetches ahead of the one it reads. */
export const RESULT_READ_AHEAD = 2

export interface BlockChannelWriterInit {
  readonly blocks: ResultBlocks
  /** Fails the run (a block could not be stored). */
  readonly fail: (err: unknown) => void
  /** Names the partition in errors (`edge 2, 0 → 3`). */
  readonly name: string
  readonly blockBytes?: number
}

/** The producing end of a blocking partition: see the module comment. */
export class BlockChannelWriter implements ChannelWriter, EncodedChannelWriter {
  readonly #init: BlockChannelWriterInit
  readonly #limit: number
  #pending: Uint8Array[] = []
  #pendingBytes = 0
  readonly #stores: Promise<string>[] = []
  #inFlight = 0
  #waiters: (() => void)[] = []
  #ended = false
  #resolveDone!: (cids: string[]) => void
  #rejectDone!: (err: unknown) => void
  /** The partition's block CIDs, in order, once the end of input was sent and every block is stored. */
  readonly done: Promise<string[]>
  /** Records written. */
  records = 0

  constructor (init: BlockChannelWriterInit) {
    this.#init = init
    this.#limit = init.blockBytes ?? RESULT_BLOCK_BYTES
    this.done = new Promise((resolve, reject) => { this.#resolveDone = resolve; this.#rejectDone = reject })
    this.done.catch(() => {}) // the run awaits it; a failure also fails the run through `fail`
  }

  get writable (): boolean { return this.#inFlight < RESULT_STORES_IN_FLIGHT }

  get queued (): number { return this.#pending.length }

  whenWritable (signal?: AbortSignal): Promise<void> {
    if (this.writable || signal?.aborted === true) return Promise.resolve()
    return new Promise(resolve => {
      const onAbort = (): void => { resolve() }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve() })
    })
  }

  send (element: StreamElement): void {
    switch (element.type) {
      case 'records':
        if (element.values.length === 0) return
        this.records += element.values.length
        this.#add(element.values, element.timestamps)
        return
      case 'watermark':
        if (element.timestamp === MAX_WATERMARK) this.#push(encodeElement(element))
        return
      case 'end':
        this.#end()
        return
      default:
        // idleness and barriers mean nothing to a batch job
    }
  }

  sendEncoded (bytes: Uint8Array): void {
    if (isEndElement(bytes)) {
      this.#end()
      return
    }
    const element = decodeElement(bytes)
    if (element.type === 'records') this.records += element.values.length
    if (element.type === 'records' || (element.type === 'watermark' && element.timestamp === MAX_WATERMARK)) {
      if (framedSize(bytes) <= this.#limit) this.#push(bytes.slice())
      else this.send(element)
    }
  }

  /** Encodes a batch, halving it until each part fits in a block. */
  #add (values: readonly unknown[], timestamps: readonly number[]): void {
    const bytes = encodeElement({ type: 'records', values, timestamps })
    if (framedSize(bytes) <= this.#limit) {
      this.#push(bytes)
      return
    }
    if (values.length === 1) {
      this.#init.fail(new BlockingResultError(`A record of ${bytes.byteLength} bytes does not fit in a block of the blocking exchange ${this.#init.name} (at most ${this.#limit} bytes)`))
      return
    }
    const half = values.length >> 1
    this.#add(values.slice(0, half), timestamps.slice(0, half))
    this.#add(values.slice(half), timestamps.slice(half))
  }

  #push (bytes: Uint8Array): void {
    if (this.#ended) return
    const size = framedSize(bytes)
    if (this.#pendingBytes + size > this.#limit) this.#flush()
    this.#pending.push(bytes)
    this.#pendingBytes += size
  }

  #flush (): void {
    if (this.#pending.length === 0) return
    const block = framePartitionBlock(this.#pending)
    this.#pending = []
    this.#pendingBytes = 0
    this.#inFlight++
    const stored = this.#init.blocks.store(block)
    this.#stores.push(stored)
    stored.then(() => {
      this.#inFlight--
      const waiters = this.#waiters
      this.#waiters = []
      for (const w of waiters) w()
    }, err => {
      this.#init.fail(new BlockingResultError(`Storing a block of the blocking exchange ${this.#init.name} failed: ${(err as Error).message}`, { cause: err }))
    })
  }

  #end (): void {
    if (this.#ended) return
    this.#flush()
    this.#ended = true
    Promise.all(this.#stores).then(this.#resolveDone, this.#rejectDone)
  }
}

export interface BlockChannelReaderInit {
  readonly blocks: ResultBlocks
  /** The partition's blocks, in order. */
  readonly cids: readonly string[]
  readonly fail: (err: unknown) => void
  readonly signal: AbortSignal
  readonly name: string
}

/** The consuming end of a blocking partition: see the module comment. */
export class BlockChannelReader implements ChannelReader, EncodedChannelReader {
  /** Its producing stage finished before it was opened (see the module comment). */
  readonly materialized = true
  readonly #init: BlockChannelReaderInit
  #listener: (() => void) | undefined
  /** Fetches started, in order; `#next` is the first not yet taken. */
  readonly #fetches: (Promise<void> | undefined)[] = []
  readonly #fetched: (Uint8Array[] | undefined)[] = []
  #next = 0
  #current: Uint8Array[] = []
  #at = 0
  #endSent = false
  #waiting = false

  constructor (init: BlockChannelReaderInit) {
    this.#init = init
    this.#fetchAhead()
  }

  #fetchAhead (): void {
    const { cids } = this.#init
    for (let i = this.#next; i < Math.min(cids.length, this.#next + 1 + RESULT_READ_AHEAD); i++) {
      if (this.#fetches[i] !== undefined) continue
      this.#fetches[i] = this.#init.blocks.fetch(cids[i]!, { signal: this.#init.signal }).then(bytes => {
        this.#fetched[i] = unframePartitionBlock(bytes)
        if (i === this.#next && this.#waiting) {
          this.#waiting = false
          this.#listener?.()
        }
      }, err => {
        if (this.#init.signal.aborted) return
        this.#init.fail(new BlockingResultError(`Reading block ${cids[i]!} of the blocking exchange ${this.#init.name} failed: ${(err as Error).message}`, { cause: err }))
      })
    }
  }

  /** The next element's bytes, or undefined (the listener is called when one is ready). */
  pollEncoded (): Uint8Array | undefined {
    for (;;) {
      if (this.#at < this.#current.length) return this.#current[this.#at++]!
      if (this.#next >= this.#init.cids.length) {
        if (this.#endSent) return undefined
        this.#endSent = true
        return END_BYTES
      }
      const block = this.#fetched[this.#next]
      if (block === undefined) {
        this.#waiting = true
        return undefined
      }
      this.#fetched[this.#next] = undefined
      this.#current = block
      this.#at = 0
      this.#next++
      this.#fetchAhead()
    }
  }

  poll (): StreamElement | undefined {
    const bytes = this.pollEncoded()
    if (bytes === undefined) return undefined
    if (bytes === END_BYTES) return END_OF_INPUT
    return decodeElement(bytes) as StreamElement
  }

  onAvailable (listener: () => void): void {
    this.#listener = listener
  }
}

const END_BYTES = encodeElement({ type: 'end' })

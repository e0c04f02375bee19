/**
 * Requests of `/meshflow/blocks/1` to other peers: one long-lived stream per peer,
 * opened on first use, carrying up to `maxConcurrentRequests` requests at once (answers
 * are matched by id), reopened after a failure. Bytes from `get` are checked against the
 * CID before they are returned. A stream that fails (reset, malformed answer, closed
 * connection) fails the requests on it; the next request opens a new one.
 *
 * @example
 * const client = new BlockClient({ host })
 * const bytes = await client.get(peerId, cid, { signal: AbortSignal.timeout(5000) })
 * await client.put(otherPeer, bytes)
 * await client.stop()
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { logger, type Logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import { cidMatches, cidOf, type BlockCid } from '../../protocol/cid.ts'
import { readMessages, sendMessages } from '../../protocol/message-handler.ts'
import {
  BLOCK_STREAM_LIMITS, DEFAULT_BLOCK_DIAL_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_REQUESTS, MAX_HAS_CIDS
} from './block-constants.ts'
import { BlockRejectedError, BlockStreamClosedError, BlockTooLargeError, CorruptBlockError } from './block-errors.ts'
import { BLOCKS_CODEC, type BlockRequest, type BlockResponse } from './block-messages.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** A peer, as a libp2p PeerId or its string form. */
export type PeerRef = PeerId | string

/** What a BlockClient uses: the libp2p host to dial from. */
export interface BlockClientComponents {
  readonly host: Pick<Libp2p, 'dialProtocol' | 'peerId'>
}

/** Options of a BlockClient. */
export interface BlockClientInit {
  /** Unanswered requests per stream (default 8, the service's default quota). */
  readonly maxConcurrentRequests?: number
  /** How long opening a stream may take (default 5 s). */
  readonly dialTimeoutMs?: number
  /** Defaults to `logger('meshflow:storage:block-client')`. */
  readonly log?: Logger
}

/** Options of one request. */
export interface BlockRequestOptions {
  readonly signal?: AbortSignal
}

/** Options of `put`. */
export interface BlockPutOptions extends BlockRequestOptions {
  /**
   * The CID the bytes are sent under. Default: computed from the bytes. Give it when it is
   * known already (replicating a stored block) to save hashing; the receiver checks it.
   */
  readonly cid?: BlockCid
}

interface Pending {
  resolve(response: BlockResponse): void
  reject(err: Error): void
}

/** One stream to one peer and the requests waiting on it. */
class Session {
  readonly peer: string
  readonly stream: Stream
  readonly pending = new Map<number, Pending>()
  inFlight = 0
  readonly waiting: (() => void)[] = []
  closed = false

  constructor (peer: string, stream: Stream) {
    this.peer = peer
    this.stream = stream
  }

  /** Waits for a request slot. */
  async acquire (max: number, signal: AbortSignal | undefined): Promise<void> {
    while (this.inFlight >= max) {
      if (this.closed) throw new BlockStreamClosedError(this.peer)
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.waiting.indexOf(wake)
          if (i >= 0) this.waiting.splice(i, 1)
          reject(signal?.reason)
        }
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        if (signal?.aborted === true) {
          reject(signal.reason)
          return
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.waiting.push(wake)
      })
    }
    this.inFlight++
  }

  release (): void {
    this.inFlight--
    this.waiting.shift()?.()
  }

  /** Fails every request on this stream. */
  fail (err: Error): void {
    if (this.closed) return
    this.closed = true
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    for (const wake of this.waiting.splice(0)) wake()
  }
}

/** Block requests to other peers (see the module comment). */
export class BlockClient {
  readonly #host: BlockClientComponents['host']
  readonly #maxConcurrent: number
  readonly #dialTimeoutMs: number
  readonly #log: Logger
  readonly #sessions = new Map<string, Session>()
  readonly #opening = new Map<string, Promise<Session>>()
  readonly #controller = new AbortController()
  #nextId = 0

  constructor (components: BlockClientComponents, init: BlockClientInit = {}) {
    this.#host = components.host
    this.#maxConcurrent = Math.max(1, init.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS)
    this.#dialTimeoutMs = init.dialTimeoutMs ?? DEFAULT_BLOCK_DIAL_TIMEOUT_MS
    this.#log = init.log ?? logger('meshflow:storage:block-client')
  }

  /** This peer's id: requests to it are refused (its blocks are in its own store). */
  get selfId (): string { return this.#host.peerId.toString() }

  /**
   * Asks `peer` for a block. Resolves with its bytes, checked against `cid`, or undefined
   * when the peer does not hold it.
   *
   * @throws {CorruptBlockError} naming the CID and the peer when the bytes do not match, or the peer reports its copy corrupt
   * @throws {BlockRejectedError} when the peer answers with another error
   * @throws {BlockStreamClosedError} when the stream fails before the answer, or `signal.reason`
   */
  async get (peer: PeerRef, cid: BlockCid, options: BlockRequestOptions = {}): Promise<Uint8Array | undefined> {
    const from = peer.toString()
    const response = await this.#request(peer, id => ({ type: 'get-request', id, cid }), options)
    if (response.type === 'error-response') {
      if (response.code === 'not-found') return undefined
      if (response.code === 'corrupt') throw new CorruptBlockError(cid.toString(), from, { cause: new Error(response.message) })
      throw new BlockRejectedError(cid.toString(), from, response.code, response.message, response.retriable)
    }
    if (response.type !== 'get-response') throw this.#unexpected(from, response, 'get-response')
    if (!cidMatches(cid, response.data)) throw new CorruptBlockError(cid.toString(), from)
    return response.data
  }

  /**
   * Asks `peer` which of `cids` it holds (not verified by the peer: a held copy may be corrupt).
   * Resolves with one boolean per CID, in order.
   */
  async has (peer: PeerRef, cids: readonly BlockCid[], options: BlockRequestOptions = {}): Promise<boolean[]> {
    const from = peer.toString()
    const present: boolean[] = []
    for (let i = 0; i < cids.length; i += MAX_HAS_CIDS) {
      const part = cids.slice(i, i + MAX_HAS_CIDS)
      const response = await this.#request(peer, id => ({ type: 'has-request', id, cids: part }), options)
      if (response.type === 'error-response') throw new BlockRejectedError(`${part.length} blocks`, from, response.code, response.message, response.retriable)
      if (response.type !== 'has-response' || response.present.length !== part.length) throw this.#unexpected(from, response, `has-response of ${part.length}`)
      present.push(...response.present)
    }
    return present
  }

  /**
   * Stores a block on `peer`; resolves once the peer holds it durably. The peer checks the
   * bytes against the CID and refuses a mismatch.
   *
   * @throws {BlockRejectedError} with code `mismatch` when the bytes do not hash to the CID, or another code the peer gave
   * @throws {BlockTooLargeError} when `data` is over 1 MiB (nothing is sent)
   */
  async put (peer: PeerRef, data: Uint8Array, options: BlockPutOptions = {}): Promise<BlockCid> {
    if (data.byteLength > MAX_BLOCK_BYTES) throw new BlockTooLargeError(data.byteLength, MAX_BLOCK_BYTES)
    const cid = options.cid ?? cidOf(data)
    const from = peer.toString()
    const response = await this.#request(peer, id => ({ type: 'put-request', id, cid, data }), options)
    if (response.type === 'error-response') throw new BlockRejectedError(cid.toString(), from, response.code, response.message, response.retriable)
    if (response.type !== 'put-response') throw this.#unexpected(from, response, 'put-response')
    return cid
  }

  /** Closes every stream; later requests fail. */
  async stop (): Promise<void> {
    if (this.#controller.signal.aborted) return
    this.#controller.abort(new Error('The block client is stopping'))
    const closing: Promise<void>[] = []
    for (const session of this.#sessions.values()) {
      session.fail(new BlockStreamClosedError(session.peer, 'the block client stopped'))
      closing.push(session.stream.close({ signal: AbortSignal.timeout(500) }).catch(() => { session.stream.abort(new Error('Stopping')) }))
    }
    this.#sessions.clear()
    await Promise.all(closing)
  }

  async #request (peer: PeerRef, build: (id: number) => BlockRequest, options: BlockRequestOptions): Promise<BlockResponse> {
    const signal = options.signal
    signal?.throwIfAborted()
    const session = await this.#session(peer, signal)
    await session.acquire(this.#maxConcurrent, signal)
    const id = ++this.#nextId
    let onAbort: (() => void) | undefined
    try {
      if (session.closed) throw new BlockStreamClosedError(session.peer)
      const answer = new Promise<BlockResponse>((resolve, reject) => {
        session.pending.set(id, { resolve, reject })
        if (signal !== undefined) {
          onAbort = () => { reject(signal.reason) }
          signal.addEventListener('abort', onAbort, { once: true })
        }
      })
      // settled by the reader, a stream failure or the signal, possibly while still sending;
      // awaited below unless sending fails first
      void answer.catch(() => {})
      try {
        await sendMessages(session.stream, BLOCKS_CODEC, [build(id)], signal === undefined ? {} : { signal })
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        // a frame may be half sent: the stream is no longer usable
        this.#drop(session, err instanceof Error ? err : new Error(String(err)))
        throw err
      }
      return await answer
    } finally {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      session.pending.delete(id)
      session.release()
    }
  }

  async #session (peer: PeerRef, signal: AbortSignal | undefined): Promise<Session> {
    if (this.#controller.signal.aborted) throw new BlockStreamClosedError(peer.toString(), 'the block client stopped')
    const key = peer.toString()
    const open = this.#sessions.get(key)
    if (open !== undefined && !open.closed) return open
    let opening = this.#opening.get(key)
    if (opening === undefined) {
      opening = this.#open(peer, key).finally(() => { this.#opening.delete(key) })
      this.#opening.set(key, opening)
    }
    if (signal === undefined) return await opening
    // a caller that gives up does not cancel the dial others may be waiting on
    return await new Promise<Session>((resolve, reject) => {
      const onAbort = (): void => { reject(signal.reason) }
      if (signal.aborted) {
        onAbort()
        return
      }
      signal.addEventListener('abort', onAbort, { once: true })
      opening.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
    })
  }

  async #open (peer: PeerRef, key: string): Promise<Session> {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    if (peerId.equals(this.#host.peerId)) throw new BlockStreamClosedError(key, 'a peer cannot open a block stream to itself')
    const stream = await this.#host.dialProtocol(peerId, BLOCKS_CODEC.protocol, {
      signal: AbortSignal.any([this.#controller.signal, AbortSignal.timeout(this.#dialTimeoutMs)]),
      ...BLOCK_STREAM_LIMITS
    })
    const session = new Session(key, stream)
    if (this.#controller.signal.aborted) {
      stream.abort(new Error('The block client is stopping'))
      throw new BlockStreamClosedError(key, 'the block client stopped')
    }
    this.#sessions.set(key, session)
    // the reader runs as long as the stream; it settles every request on it, and never rejects
    void this.#read(session)
    return session
  }

  async #read (session: Session): Promise<void> {
    let reason: Error = new BlockStreamClosedError(session.peer, 'the peer closed the stream')
    try {
      for await (const message of readMessages(session.stream, BLOCKS_CODEC, { signal: this.#controller.signal })) {
        const pending = session.pending.get(message.id)
        if (pending === undefined) continue // answered after its requester gave up
        session.pending.delete(message.id)
        pending.resolve(message as BlockResponse)
      }
    } catch (err) {
      reason = new BlockStreamClosedError(session.peer, errorMessage(err), { cause: err })
      if (!this.#controller.signal.aborted) this.#log('block stream to %s failed: %e', session.peer, err)
    }
    this.#drop(session, reason)
  }

  #drop (session: Session, reason: Error): void {
    session.fail(reason)
    if (this.#sessions.get(session.peer) === session) this.#sessions.delete(session.peer)
    if (session.stream.status === 'open') session.stream.abort(reason)
  }

  #unexpected (peer: string, response: BlockResponse, expected: string): Error {
    return new BlockStreamClosedError(peer, `answered with a ${response.type} where a ${expected} was due`)
  }
}

/**
 * Serves `/meshflow/blocks/1` (see block-messages.ts): answers `get` and `has` requests for
 * the blocks this peer holds and stores the blocks other peers `put` here (replication
 * uses this), after checking their bytes against their CIDs. Each stream carries up to
 * `maxConcurrentRequests` requests at once, answered by id as they finish; while that many
 * are in progress no further frame is read, so a fast requester is slowed down by
 * backpressure rather than buffered. A malformed or oversized frame aborts only its stream.
 *
 * Outgoing requests are `BlockClient`'s; `BlockFetcher` builds on it.
 *
 * @example
 * const service = new BlockService({ host, blocks })
 * await service.start()
 * // … other peers can now fetch this peer's blocks
 * await service.stop()
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { logger, type Logger } from '@libp2p/logger'
import { cidMatches } from '../../protocol/cid.ts'
import { handleMessages } from '../../protocol/message-handler.ts'
import { BLOCK_STREAM_LIMITS, DEFAULT_MAX_CONCURRENT_REQUESTS } from './block-constants.ts'
import { BLOCKS_CODEC, type BlockMessage, type BlockRequest, type BlockResponse } from './block-messages.ts'
import type { BlockStore } from './block-store.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** What a BlockService uses: the libp2p host to serve on and the blocks to serve. */
export interface BlockServiceComponents {
  readonly host: Pick<Libp2p, 'handle' | 'unhandle'>
  readonly blocks: BlockStore
}

/** Options of a BlockService. */
export interface BlockServiceInit {
  /** Requests one stream may have in progress here (default 8). */
  readonly maxConcurrentRequests?: number
  /** Inbound streams per connection (default 32). */
  readonly maxInboundStreams?: number
  /** Defaults to `logger('meshflow:storage:block-service')`. */
  readonly log?: Logger
}

/** The `/meshflow/blocks/1` handler (see the module comment). */
export class BlockService {
  readonly #host: BlockServiceComponents['host']
  readonly #blocks: BlockStore
  readonly #maxConcurrent: number
  readonly #maxInboundStreams: number
  readonly #log: Logger
  #controller: AbortController | undefined
  readonly #serving = new Set<Promise<void>>()

  constructor (components: BlockServiceComponents, init: BlockServiceInit = {}) {
    this.#host = components.host
    this.#blocks = components.blocks
    this.#maxConcurrent = Math.max(1, init.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS)
    this.#maxInboundStreams = init.maxInboundStreams ?? BLOCK_STREAM_LIMITS.maxInboundStreams
    this.#log = init.log ?? logger('meshflow:storage:block-service')
  }

  get isStarted (): boolean { return this.#controller !== undefined }

  /** Registers the protocol handler. */
  async start (): Promise<void> {
    if (this.#controller !== undefined) return
    const controller = new AbortController()
    this.#controller = controller
    await this.#host.handle(BLOCKS_CODEC.protocol, (stream: Stream, connection: Connection) => {
      const serving = this.#serve(stream, connection, controller.signal).finally(() => { this.#serving.delete(serving) })
      this.#serving.add(serving)
      return serving
    }, { maxInboundStreams: this.#maxInboundStreams, maxOutboundStreams: BLOCK_STREAM_LIMITS.maxOutboundStreams })
  }

  /** Unregisters the handler and aborts the streams being served. */
  async stop (): Promise<void> {
    const controller = this.#controller
    if (controller === undefined) return
    this.#controller = undefined
    await this.#host.unhandle(BLOCKS_CODEC.protocol)
    controller.abort(new Error('The block service is stopping'))
    await Promise.allSettled([...this.#serving])
  }

  async #serve (stream: Stream, connection: Connection, signal: AbortSignal): Promise<void> {
    const remote = connection.remotePeer.toString()
    const inFlight = new Set<Promise<void>>()
    const result = await handleMessages<BlockMessage, Connection>(stream, BLOCKS_CODEC, async (message, ctx) => {
      if (!isRequest(message)) throw new Error(`Peer ${remote} sent a ${message.type} as a request`)
      // backpressure: no further frame is read while the stream's quota is in use
      while (inFlight.size >= this.#maxConcurrent) await Promise.race(inFlight)
      const work = this.#answer(message, remote)
        .then(async response => { await ctx.send(response) })
        .catch((err: unknown) => {
          // the answer could not be sent: the stream is broken or being aborted
          if (!ctx.signal.aborted) this.#log('answer to %s on stream %s failed: %e', remote, stream.id, err)
          stream.abort(err instanceof Error ? err : new Error(String(err)))
        })
        .finally(() => { inFlight.delete(work) })
      inFlight.add(work)
    }, { connection, signal, log: this.#log, closeOnEnd: false })
    // the remote ended its side (or the stream failed): finish the answers, then close ours
    await Promise.allSettled([...inFlight])
    if (result.ok) {
      try {
        await stream.close()
      } catch (err) {
        this.#log('closing block stream %s from %s failed: %e', stream.id, remote, err)
      }
    }
  }

  /** The answer to one request; never throws (failures become error responses). */
  async #answer (request: BlockRequest, remote: string): Promise<BlockResponse> {
    const id = request.id
    try {
      switch (request.type) {
        case 'get-request': {
          const data = await this.#blocks.get(request.cid)
          if (data === undefined) return { type: 'error-response', id, code: 'not-found', message: `Block ${request.cid.toString()} is not held here`, retriable: false }
          return { type: 'get-response', id, data }
        }
        case 'has-request': {
          // one at a time: a lookup reads the whole block, up to 1 MiB each
          const present: boolean[] = []
          for (const cid of request.cids) present.push(await this.#blocks.has(cid))
          return { type: 'has-response', id, present }
        }
        case 'put-request': {
          if (!cidMatches(request.cid, request.data)) {
            this.#log.error('refused a put of block %s from %s: its bytes do not match the CID', request.cid.toString(), remote)
            return { type: 'error-response', id, code: 'mismatch', message: `The ${request.data.byteLength} bytes sent do not match CID ${request.cid.toString()}`, retriable: false }
          }
          await this.#blocks.put(request.data)
          return { type: 'put-response', id }
        }
      }
    } catch (err) {
      const cid = 'cid' in request ? request.cid.toString() : `${request.cids.length} blocks`
      if ((err as Error | undefined)?.name === 'CorruptBlockError') {
        this.#log.error('block %s asked for by %s is corrupt in this store: %e', cid, remote, err)
        return { type: 'error-response', id, code: 'corrupt', message: `The copy of block ${cid} held here is corrupt`, retriable: false }
      }
      this.#log.error('%s for %s from %s failed: %e', request.type, cid, remote, err)
      const stopping = this.#controller === undefined
      return {
        type: 'error-response',
        id,
        code: stopping ? 'unavailable' : 'internal',
        message: `${request.type} of ${cid} failed: ${errorMessage(err).slice(0, 1000)}`,
        retriable: true
      }
    }
  }
}

function isRequest (m: BlockMessage): m is BlockRequest {
  return m.type === 'get-request' || m.type === 'has-request' || m.type === 'put-request'
}

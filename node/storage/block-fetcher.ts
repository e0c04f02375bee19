/**
 * Reads blocks wherever they are: from this peer's store when it holds an intact copy,
 * else from the given peers, asked one at a time in the order given. Every block from
 * another peer is checked against its CID; a mismatch (or a holder reporting its copy
 * corrupt) is logged as an error naming the CID and the peer, and the next holder is
 * asked. A fetched block is stored locally, replacing a corrupt local copy. Large values
 * (manifests from `putLarge`) are fetched chunk by chunk, a few chunks ahead.
 *
 * @example
 * const fetcher = new BlockFetcher({ blocks, client })
 * const code = await fetcher.fetch(cid, { from: [holderA, holderB], signal })
 * const state = await fetcher.fetchLarge(manifestCid, { from: holders })
 */
import { logger, type Logger } from '@libp2p/logger'
import type { BlockCid } from '../../protocol/cid.ts'
import type { BlockClient, PeerRef } from './block-client.ts'
import { DEFAULT_BLOCK_REQUEST_TIMEOUT_MS } from './block-constants.ts'
import { BlockNotFoundError, type BlockAttempt } from './block-errors.ts'
import type { BlockStore } from './block-store.ts'
import { readLarge, readLargeBytes, type BlockGetter, type ReadLargeOptions } from './chunking.ts'

/** What a BlockFetcher uses: the local blocks and a client to ask other peers. */
export interface BlockFetcherComponents {
  readonly blocks: BlockStore
  readonly client: BlockClient
}

/** Options of a BlockFetcher. */
export interface BlockFetcherInit {
  /** How long one peer may take to answer before the next is asked (default 10 s). */
  readonly requestTimeoutMs?: number
  /** Defaults to `logger('meshflow:storage:block-fetcher')`. */
  readonly log?: Logger
}

/** Options of `fetch`: whom to ask. */
export interface FetchOptions {
  /**
   * Peers that may hold the block, asked in this order (this peer is skipped); a function is
   * called only when this peer has no intact copy (working out holders costs a rendezvous
   * hash per member, which a local read — a scan's usual case — does not need).
   */
  readonly from: readonly PeerRef[] | (() => readonly PeerRef[])
  readonly signal?: AbortSignal
}

/** Reads blocks from this peer or others (see the module comment). */
export class BlockFetcher {
  readonly #blocks: BlockStore
  readonly #client: BlockClient
  readonly #timeoutMs: number
  readonly #log: Logger

  constructor (components: BlockFetcherComponents, init: BlockFetcherInit = {}) {
    this.#blocks = components.blocks
    this.#client = components.client
    this.#timeoutMs = init.requestTimeoutMs ?? DEFAULT_BLOCK_REQUEST_TIMEOUT_MS
    this.#log = init.log ?? logger('meshflow:storage:block-fetcher')
  }

  /**
   * The block's bytes, verified against `cid`: from the local store, else from the first
   * of `from` that has an intact copy (then also stored locally).
   *
   * @throws {BlockNotFoundError} naming the CID and each peer asked with its answer, when no intact copy was found
   * @throws `signal.reason` when the signal aborts
   */
  async fetch (cid: BlockCid, options: FetchOptions): Promise<Uint8Array> {
    const { from, signal } = options
    signal?.throwIfAborted()
    const shown = cid.toString()
    try {
      const local = await this.#blocks.get(cid, signal === undefined ? {} : { signal })
      if (local !== undefined) return local
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'CorruptBlockError') throw err
      this.#log.error('%s; fetching it from another peer', (err as Error).message)
    }
    const self = this.#client.selfId
    const attempts: BlockAttempt[] = []
    const errors: Error[] = []
    for (const peer of typeof from === 'function' ? from() : from) {
      const id = peer.toString()
      if (id === self) continue
      signal?.throwIfAborted()
      const timeout = AbortSignal.timeout(this.#timeoutMs)
      let data: Uint8Array | undefined
      try {
        data = await this.#client.get(peer, cid, { signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) })
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        const error = err instanceof Error ? err : new Error(String(err))
        errors.push(error)
        if (error.name === 'CorruptBlockError') {
          this.#log.error('%s; asking the next holder', error.message)
          attempts.push({ peer: id, outcome: 'corrupt copy' })
        } else if (timeout.aborted) {
          this.#log('peer %s did not answer for block %s within %d ms', id, shown, this.#timeoutMs)
          attempts.push({ peer: id, outcome: `no answer within ${this.#timeoutMs} ms` })
        } else {
          this.#log('asking peer %s for block %s failed: %e', id, shown, error)
          attempts.push({ peer: id, outcome: error.message })
        }
        continue
      }
      if (data === undefined) {
        attempts.push({ peer: id, outcome: 'not found' })
        continue
      }
      try {
        await this.#blocks.put(data)
      } catch (err) {
        // the block is good: a failing local store is logged, not the caller's problem here
        this.#log.error('block %s fetched from %s could not be stored locally: %e', shown, id, err)
      }
      return data
    }
    throw new BlockNotFoundError(shown, attempts, errors.length > 0 ? { cause: new AggregateError(errors, `Fetching block ${shown} failed`) } : undefined)
  }

  /**
   * A large value (a manifest CID from `putLarge`), every chunk fetched as `fetch` does
   * and the sizes checked against the manifests.
   *
   * @throws {BlockNotFoundError | InvalidManifestError | BlockTooLargeError} (see `getLarge`)
   */
  async fetchLarge (cid: BlockCid, options: FetchOptions & ReadLargeOptions & { readonly maxBytes?: number }): Promise<Uint8Array> {
    return await readLargeBytes(this.#getter(options.from), cid, options)
  }

  /** The chunks of a large value in order, fetched as `fetchLarge` does. */
  readLarge (cid: BlockCid, options: FetchOptions & ReadLargeOptions): AsyncGenerator<Uint8Array, void, undefined> {
    return readLarge(this.#getter(options.from), cid, options)
  }

  #getter (from: FetchOptions['from']): BlockGetter {
    return async (cid, o) => await this.fetch(cid, { from, ...(o.signal === undefined ? {} : { signal: o.signal }) })
  }
}

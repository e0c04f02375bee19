/**
 * A peer's block storage (DESIGN §6) as one component: the local block store, the block
 * protocol it serves, the client and fetcher that read blocks from other peers, the
 * replicator that stores each block on its rendezvous peers, the maintainer that restores
 * replicas when peers leave, the scrubber that replaces corrupt copies, and the garbage
 * collector with its timer.
 *
 * @example
 * const storage = new BlockStorage({ selfId, host, store, members: () => ids, roots: () => [], references: () => [] })
 * await storage.start()
 * const cid = await storage.storeBlock(bytes)
 * await storage.stop()
 */
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { parseCid, type BlockCid } from '../../protocol/cid.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { BlockStore } from './block-store.ts'
import { BlockService } from './block-service.ts'
import { BlockClient } from './block-client.ts'
import { BlockFetcher } from './block-fetcher.ts'
import { BlockReplicator } from './replication.ts'
import { ReplicationMaintainer } from './replication-maintainer.ts'
import { BlockScrubber } from './block-scrubber.ts'
import { BlockGarbageCollector } from './block-gc.ts'
import { rendezvousOrder } from './rendezvous.ts'
import { largeValueBlocks, writeLarge } from './chunking.ts'
import type { PeerStore } from './peer-store.ts'

const log = logger('meshflow:storage:blocks')

/** How long storing or fetching one block over the mesh may take. */
export const STORE_TIMEOUT_MS = 30_000
/** How often a peer collects the garbage among its blocks. */
export const GC_INTERVAL_MS = 5 * 60_000

export interface BlockStorageComponents {
  readonly selfId: string
  readonly host: Libp2p
  readonly store: PeerStore
  /** Live peers' ids, this one included: where replicas go and come from. */
  readonly members: () => string[]
  /** The CIDs the garbage collector keeps, with what they reference. */
  readonly roots: () => string[]
  /** The CIDs a reachable block references (a checkpoint manifest's state chunks). */
  readonly references: (cid: string, bytes: Uint8Array) => readonly string[]
}

/** Garbage-collection grace and re-stamp age of blocks, and the scrub's pace (see PeerInit.storage). */
export interface BlockStorageInit {
  readonly gcGraceMs?: number
  /** How often the garbage collector runs (default `GC_INTERVAL_MS`, 5 min). */
  readonly gcIntervalMs?: number
  /** Copies of each block (default `min(3, peers)`, see BlockReplicator). */
  readonly replicas?: number
  readonly restampAfterMs?: number
  readonly scrubIntervalMs?: number
  readonly scrubFirstDelayMs?: number
  readonly scrubBytesPerSecond?: number
}

export class BlockStorage {
  readonly blocks: BlockStore
  readonly replicator: BlockReplicator
  /** Re-hashes the local blocks and replaces corrupt copies (its counts are in a peer's status). */
  readonly scrubber: BlockScrubber
  readonly #c: BlockStorageComponents
  readonly #service: BlockService
  readonly #client: BlockClient
  readonly #fetcher: BlockFetcher
  readonly #maintainer: ReplicationMaintainer
  readonly #gc: BlockGarbageCollector
  #gcTimer: ReturnType<typeof setInterval> | undefined
  #started = false
  readonly #gcIntervalMs: number

  constructor (components: BlockStorageComponents, init: BlockStorageInit = {}) {
    this.#c = components
    this.#gcIntervalMs = Math.max(1, init.gcIntervalMs ?? GC_INTERVAL_MS)
    const { selfId, host, members } = components
    this.blocks = new BlockStore({ store: components.store }, init.restampAfterMs === undefined ? {} : { restampAfterMs: init.restampAfterMs })
    this.#service = new BlockService({ host, blocks: this.blocks })
    this.#client = new BlockClient({ host })
    this.#fetcher = new BlockFetcher({ blocks: this.blocks, client: this.#client })
    this.replicator = new BlockReplicator({ selfId, blocks: this.blocks, client: this.#client, members }, init.replicas === undefined ? {} : { replicas: init.replicas })
    this.#maintainer = new ReplicationMaintainer({ selfId, blocks: this.blocks, replicator: this.replicator, members })
    this.scrubber = new BlockScrubber({ selfId, blocks: this.blocks, fetcher: this.#fetcher, members }, {
      ...(init.scrubIntervalMs === undefined ? {} : { intervalMs: init.scrubIntervalMs }),
      ...(init.scrubFirstDelayMs === undefined ? {} : { firstDelayMs: init.scrubFirstDelayMs }),
      ...(init.scrubBytesPerSecond === undefined ? {} : { bytesPerSecond: init.scrubBytesPerSecond })
    })
    this.#gc = new BlockGarbageCollector({
      blocks: this.blocks,
      roots: components.roots,
      references: components.references,
      fetch: async (cid, o) => await this.#fetcher.fetch(cid, { from: this.#holders(cid.toString()), ...o })
    }, init.gcGraceMs === undefined ? {} : { graceMs: init.gcGraceMs })
  }

  async start (): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#service.start()
    await this.#maintainer.start()
    await this.scrubber.start()
    this.#gcTimer = setInterval(() => {
      this.#gc.collect().then(
        r => { log('garbage collection: kept %d blocks, deleted %d, unresolved %d', r.kept, r.deleted, r.unresolved.length) },
        err => { log('garbage collection: %s', errorMessage(err)) })
    }, this.#gcIntervalMs)
    this.#gcTimer.unref()
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    clearInterval(this.#gcTimer)
    this.#gcTimer = undefined
    await this.#maintainer.stop()
    await this.scrubber.stop()
    await this.#service.stop()
    await this.#client.stop()
  }

  /** The peers that should hold a block, in the order to ask them. */
  #holders (cid: string): ReturnType<typeof peerIdFromString>[] {
    return rendezvousOrder(cid, this.#c.members()).map(id => peerIdFromString(id))
  }

  /** Stores a block here and on its replica peers; resolves with its CID. */
  async storeBlock (bytes: Uint8Array): Promise<string> {
    return (await this.replicator.put(bytes, { signal: AbortSignal.timeout(STORE_TIMEOUT_MS) })).toString()
  }

  /** A block's verified bytes, from here or the peers that hold it. */
  async fetchBlock (cid: string): Promise<Uint8Array> {
    return await this.#fetcher.fetch(parseCid(cid), { from: () => this.#holders(cid), signal: AbortSignal.timeout(STORE_TIMEOUT_MS) })
  }

  /** A value stored with `putLarge` (a chunk tree), fetched from `from` (peer ids) in order. */
  async fetchLarge (cid: string, options: { from: string[], signal?: AbortSignal }): Promise<Uint8Array> {
    return await this.#fetcher.fetchLarge(parseCid(cid), options)
  }

  /** Stores a large value as a chunk tree, here and on each chunk's replica peers; resolves with its root CID. */
  async putLarge (bytes: Uint8Array): Promise<BlockCid> {
    return await writeLarge({
      putMany: async blocks => {
        const cids = await this.blocks.putMany(blocks)
        await Promise.all(blocks.map(async b => await this.replicator.put(b, { signal: AbortSignal.timeout(STORE_TIMEOUT_MS) })))
        return cids
      }
    }, bytes)
  }

  /**
   * Brings every block of a large value (its manifests and chunks) to R copies on its
   * rendezvous holders, as `putLarge` leaves a value it stores: for a value that reached the
   * mesh another way (a client stored job code on the one peer it talks to). Manifests this
   * peer lacks are fetched from `from`; a chunk is copied from here or from a member that has it.
   *
   * @throws {ReplicationError} naming the first block left on fewer than R peers
   * @throws {BlockNotFoundError | InvalidManifestError} when a manifest cannot be read
   */
  async replicateLarge (cid: string, options: { from: readonly string[], signal?: AbortSignal }): Promise<void> {
    const signal = options.signal ?? AbortSignal.timeout(STORE_TIMEOUT_MS)
    const blocks = await largeValueBlocks(async (c, o) => await this.#fetcher.fetch(c, { from: options.from, ...o }), parseCid(cid), { signal })
    const result = await this.replicator.repair(blocks, { signal })
    const short = result.errors[0]
    if (short !== undefined) throw short
    log('large value %s: %d blocks on %d peers each, %d copies made', cid, blocks.length, this.replicator.replicasFor(this.#c.members()), result.copied)
  }

  /**
   * Which live peers hold each of `cids` (for `dataset show` and placing scans where the
   * data is): the peers that should hold a block by rendezvous order, and a few after them
   * (a block not yet moved after membership changed), are asked with `has`; a peer that
   * cannot be asked counts as not holding. Resolves with CID -> peer ids, in rendezvous order.
   */
  async holders (cids: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, string[]>> {
    const members = this.#c.members()
    const ask = Math.min(members.length, this.replicator.replicasFor(members) + 2)
    const order = new Map<string, string[]>()
    const byPeer = new Map<string, string[]>()
    for (const cid of new Set(cids)) {
      const candidates = rendezvousOrder(cid, members).slice(0, ask)
      order.set(cid, candidates)
      for (const peer of candidates) byPeer.set(peer, [...byPeer.get(peer) ?? [], cid])
    }
    const held = new Set<string>()
    const signal = options.signal ?? AbortSignal.timeout(STORE_TIMEOUT_MS)
    await Promise.all([...byPeer].map(async ([peer, list]) => {
      try {
        const present = peer === this.#c.selfId
          ? await Promise.all(list.map(async c => await this.blocks.has(parseCid(c), { signal })))
          : await this.#client.has(peer, list.map(c => parseCid(c)), { signal })
        present.forEach((p, i) => { if (p) held.add(`${peer} ${list[i]!}`) })
      } catch (err) {
        log('asking %s which of %d blocks it holds: %s', peer, list.length, errorMessage(err))
      }
    }))
    const out = new Map<string, string[]>()
    for (const [cid, candidates] of order) out.set(cid, candidates.filter(peer => held.has(`${peer} ${cid}`)))
    return out
  }

  /** Runs the garbage collector now (tests, and `meshflow node` maintenance). */
  async collectGarbage (options: { signal?: AbortSignal } = {}): ReturnType<BlockGarbageCollector['collect']> {
    return await this.#gc.collect(options)
  }
}

/**
 * This peer's content-addressed blocks (DESIGN §6), in the `@meshflow/blocks` collection
 * of its peer store: immutable byte strings of at most 1 MiB, each under its CIDv1
 * (raw codec, sha2-256). Identical bytes have one CID and are written once. Every read
 * checks the bytes, so corruption on this peer's disk is detected too, as a
 * `CorruptBlockError` naming the CID: against the CRC-32 stored with the block when it was
 * written (`@meshflow/block-crc`; zlib's crc32 is about three times as fast as sha-256),
 * or, for a block without one (stored before CRCs, or with `verifyCid`, as the scrubber
 * reads), by hashing it again. Blocks from other peers are always verified by their CID. Values over 1 MiB go through `putLarge`/`getLarge`:
 * chunks under a manifest (see chunking.ts).
 *
 * Writes are group-committed: puts and deletes queue up and are written together in one
 * RocksDB commit under the store's write lock, so a burst of puts costs one flush, and a
 * put resolves only once its block is durable.
 *
 * Each block has a record in `@meshflow/block-info` beside it: when it was stored and its
 * size, so garbage collection (block-gc.ts) can judge every block without reading it. A put
 * of a block already held re-stamps it (a tiny write, skipped when the stamp is younger
 * than `restampAfterMs`), so a block that a new checkpoint puts again counts as new.
 * Blocks from stores older than the info collection have no stamp: the first `stored()`
 * stamps each with the time it is first seen (so they become collectable only a grace
 * period after this version first looks at them), then notes in the store's meta that
 * every block has its stamp.
 *
 * Use one BlockStore per PeerStore.
 *
 * @example
 * const blocks = new BlockStore({ store })
 * const cid = await blocks.put(new TextEncoder().encode('hello'))
 * cid.toString() // 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
 * await blocks.get(cid) // the bytes of 'hello'
 * const big = await blocks.putLarge(new Uint8Array(3_500_000))
 * await blocks.getLarge(big) // the 3.5 MB value, every chunk verified
 */
import { crc32 } from 'node:zlib'
import { logger, type Logger } from '@libp2p/logger'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import { cidFromBytes, cidMatches, cidOf, type BlockCid } from '../../protocol/cid.ts'
import { DEFAULT_RESTAMP_AFTER_MS, MAX_WRITE_BATCH_BLOCKS, MAX_WRITE_BATCH_BYTES, MAX_WRITE_BATCH_OPS } from './block-constants.ts'
import { BlockNotFoundError, BlockTooLargeError, CorruptBlockError } from './block-errors.ts'
import { readLarge, readLargeBytes, writeLarge, type BlockGetter, type ReadLargeOptions, type WriteLargeOptions } from './chunking.ts'
import type { PeerStore } from './peer-store.ts'
import { storeWriteLock, type StoreWriteLock } from './store-write-lock.ts'

const BLOCKS = '@meshflow/blocks'
const INFO = '@meshflow/block-info'
const CRCS = '@meshflow/block-crc'
/** Meta key set once every block in the store has an info record (stamped). */
const STAMPED_META = 'blocks-stamped'

/** What a BlockStore uses: the peer's store. */
export interface BlockStoreComponents {
  readonly store: PeerStore
}

/** Options of a BlockStore. */
export interface BlockStoreInit {
  /** Chunk size of `putLarge` (default 1 MiB). */
  readonly chunkBytes?: number
  /** Entries per manifest before `putLarge` nests manifests (default 16384). */
  readonly maxManifestEntries?: number
  /**
   * A put of a block already held re-stamps it only when its stamp is at least this old
   * (default 60 s), so re-puts in a burst cost one write. Garbage collection adds this to
   * its grace period, so a put still protects a block for the whole grace period.
   */
  readonly restampAfterMs?: number
  /** The clock of the stamps, ms since the epoch (default `Date.now`; tests set it). */
  readonly now?: () => number
  /** Defaults to `logger('meshflow:storage:blocks')`. */
  readonly log?: Logger
}

/** A block held by this peer, as `stored()` lists it. */
export interface StoredBlock {
  readonly cid: BlockCid
  /** When it was stored or last re-stamped by a put (ms since the epoch, the store's clock). */
  readonly storedAt: number
  /** Its length in bytes. */
  readonly size: number
}

/** Counters since the store was created (for tests and benchmarks: what did a checkpoint write?). */
export interface BlockStoreStats {
  /** Blocks written to disk by `put` (new or replacing a corrupt copy). */
  readonly blocksWritten: number
  readonly bytesWritten: number
  /** Puts of a block already stored intact: nothing written. */
  readonly blocksDeduplicated: number
  /** RocksDB commits (one per group of writes). */
  readonly commits: number
  /** Reads that found a copy not matching its CID. */
  readonly corruptReads: number
  /** Puts of a block already held that refreshed its stamp. */
  readonly restamps: number
  /** Blocks removed by `deleteIfStoredBefore` (garbage collection). */
  readonly blocksCollected: number
}

/** Options of the BlockStore's calls. */
export interface BlockOptions {
  readonly signal?: AbortSignal
}

/** Options of `get`. */
export interface BlockGetOptions extends BlockOptions {
  /** Hash the block against its CID even when a CRC was stored with it (the scrubber's full check). */
  readonly verifyCid?: boolean
}

/**
 * A queued write, applied under the write lock in queue order:
 * - put: the block and its info, stamped now;
 * - touch: a put of a block found held: re-stamp its info, or write it all if its info is
 *   gone (collected meanwhile, or a block from before stamps);
 * - delete: the block and its info;
 * - collect: delete, only if its stamp is still older than `before` (a put since wins);
 * - stamp: an info stamped now for a block that has none (never replaces one).
 */
type WriteOp =
  | { readonly kind: 'put', readonly cid: BlockCid, readonly data: Uint8Array }
  | { readonly kind: 'touch', readonly cid: BlockCid, readonly data: Uint8Array }
  | { readonly kind: 'delete', readonly cid: BlockCid }
  | { readonly kind: 'collect', readonly cid: BlockCid, readonly before: number }
  | { readonly kind: 'stamp', readonly cid: BlockCid, readonly size: number }
  | { readonly kind: 'purge', readonly cid: BlockCid }

interface QueuedWrite {
  readonly op: WriteOp
  resolve(done: boolean): void
  reject(err: Error): void
}

/** This peer's blocks (see the module comment). */
export class BlockStore {
  readonly #store: PeerStore
  readonly #lock: StoreWriteLock
  readonly #log: Logger
  readonly #largeInit: WriteLargeOptions
  readonly #now: () => number
  /** See `BlockStoreInit.restampAfterMs`. */
  readonly restampAfterMs: number
  /** Set while (or once) blocks without an info record are being stamped. */
  #stamping: Promise<void> | undefined
  /** Whether the first commit looked for a store with no blocks yet (see #noteFreshStore). */
  #freshChecked = false
  readonly #queue: QueuedWrite[] = []
  #draining = false
  /** Puts in progress by CID, so concurrent puts of the same bytes share one write. */
  readonly #putting = new Map<string, Promise<void>>()
  /** Deletes queued by CID: a put meanwhile must write even if the block is still there. */
  readonly #deleting = new Map<string, number>()
  #stats = { blocksWritten: 0, bytesWritten: 0, blocksDeduplicated: 0, commits: 0, corruptReads: 0, restamps: 0, blocksCollected: 0 }

  constructor (components: BlockStoreComponents, init: BlockStoreInit = {}) {
    this.#store = components.store
    this.#lock = storeWriteLock(components.store)
    this.#log = init.log ?? logger('meshflow:storage:blocks')
    this.#now = init.now ?? Date.now
    this.restampAfterMs = Math.max(0, init.restampAfterMs ?? DEFAULT_RESTAMP_AFTER_MS)
    this.#largeInit = {
      ...(init.chunkBytes === undefined ? {} : { chunkBytes: init.chunkBytes }),
      ...(init.maxManifestEntries === undefined ? {} : { maxManifestEntries: init.maxManifestEntries })
    }
  }

  get stats (): BlockStoreStats { return { ...this.#stats } }

  /**
   * Stores a block and resolves with its CID once it is durable. A block already stored
   * intact is not written again, only re-stamped (see the module comment); a corrupt copy
   * under the same CID is replaced.
   *
   * @throws {BlockTooLargeError} when `bytes` is over 1 MiB (use `putLarge`)
   */
  async put (bytes: Uint8Array, options: BlockOptions = {}): Promise<BlockCid> {
    options.signal?.throwIfAborted()
    checkSize(bytes)
    const cid = cidOf(bytes)
    await this.#put(cid, bytes)
    return cid
  }

  /**
   * Stores several blocks (written in one commit where possible); resolves with their CIDs
   * in order once all are durable.
   *
   * @throws {BlockTooLargeError} before anything is written, when any block is over 1 MiB
   */
  async putMany (blocks: readonly Uint8Array[], options: BlockOptions = {}): Promise<BlockCid[]> {
    options.signal?.throwIfAborted()
    for (const b of blocks) checkSize(b)
    const cids = blocks.map(b => cidOf(b))
    await Promise.all(cids.map(async (cid, i) => { await this.#put(cid, blocks[i]!) }))
    return cids
  }

  /**
   * The block's bytes, checked against the CID, or undefined when this peer does not hold it.
   *
   * @throws {CorruptBlockError} naming the CID when the stored copy does not match it
   */
  async get (cid: BlockCid, options: BlockGetOptions = {}): Promise<Uint8Array | undefined> {
    options.signal?.throwIfAborted()
    const [data, crc] = await Promise.all([this.#read(cid), options.verifyCid === true ? undefined : this.#readCrc(cid)])
    if (data === undefined) return undefined
    if (crc !== undefined ? crc32(data) !== crc : !cidMatches(cid, data)) {
      this.#stats.corruptReads++
      throw new CorruptBlockError(cid.toString())
    }
    return data
  }

  /** Whether this peer holds a copy of the block (not verified: `get` does that). */
  async has (cid: BlockCid, options: BlockOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    return await this.#read(cid) !== undefined
  }

  /** Removes the block (unconditionally); resolves with whether it was there, once the removal is durable. */
  async delete (cid: BlockCid, options: BlockOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    const key = cid.toString()
    this.#deleting.set(key, (this.#deleting.get(key) ?? 0) + 1)
    try {
      return await this.#enqueue({ kind: 'delete', cid })
    } finally {
      const n = this.#deleting.get(key)! - 1
      if (n === 0) this.#deleting.delete(key)
      else this.#deleting.set(key, n)
    }
  }

  /**
   * The CIDs of every block this peer holds, in CID byte order (for garbage collection
   * and repair). A record whose key is not a block CID is logged and skipped.
   */
  async * cids (options: BlockOptions = {}): AsyncGenerator<BlockCid, void, undefined> {
    for await (const record of this.#store.db.find(BLOCKS, {})) {
      options.signal?.throwIfAborted()
      let cid: BlockCid
      try {
        cid = cidFromBytes(new Uint8Array(record.cid))
      } catch (err) {
        this.#log.error('skipping a stored block whose key is not a block CID: %e', err)
        continue
      }
      yield cid
    }
  }

  /**
   * Every block this peer holds with when it was stored and its size, in CID byte order,
   * without reading the blocks. The first call on a store from before stamps first stamps
   * every block that has none with the current time (see the module comment).
   */
  async * stored (options: BlockOptions = {}): AsyncGenerator<StoredBlock, void, undefined> {
    const { signal } = options
    signal?.throwIfAborted()
    await this.#ensureStamped(signal)
    for await (const record of this.#store.db.find(INFO, {})) {
      signal?.throwIfAborted()
      let cid: BlockCid
      try {
        cid = cidFromBytes(new Uint8Array(record.cid))
      } catch (err) {
        this.#log.error('skipping a block info whose key is not a block CID: %e', err)
        continue
      }
      yield { cid, storedAt: record.storedAt, size: record.size }
    }
  }

  /**
   * Removes the block if its stamp is older than `before` (ms since the epoch), judged
   * under the write lock: a put that re-stamped or re-wrote the block since wins. Resolves
   * with whether it was removed, once the removal is durable. For garbage collection.
   */
  async deleteIfStoredBefore (cid: BlockCid, before: number, options: BlockOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    return await this.#enqueue({ kind: 'collect', cid, before })
  }

  /**
   * Removes the block only if the stored copy does not match its CID, judged under the
   * write lock (an intact copy put meanwhile stays). Resolves with whether it was removed.
   * For the scrub, when no peer has an intact copy.
   */
  async deleteIfCorrupt (cid: BlockCid, options: BlockOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted()
    return await this.#enqueue({ kind: 'purge', cid })
  }

  /**
   * Stores a value of any size as chunks under a manifest and resolves with the manifest's
   * CID, which names the value. Even a small value gets a manifest: read it back with
   * `getLarge`, not `get`.
   */
  async putLarge (bytes: Uint8Array, options: BlockOptions = {}): Promise<BlockCid> {
    return await writeLarge(this, bytes, { ...this.#largeInit, ...(options.signal === undefined ? {} : { signal: options.signal }) })
  }

  /**
   * The value named by a manifest CID from `putLarge`, every chunk checked against its CID
   * and the sizes against the manifests.
   *
   * @throws {BlockNotFoundError} when the manifest or a chunk is not in this store
   * @throws {CorruptBlockError} when a stored chunk or manifest does not match its CID
   * @throws {InvalidManifestError} when `cid` is not a manifest, or its sizes disagree
   * @throws {BlockTooLargeError} when the value is larger than `maxBytes` (default 1 GiB)
   */
  async getLarge (cid: BlockCid, options: ReadLargeOptions & { readonly maxBytes?: number } = {}): Promise<Uint8Array> {
    return await readLargeBytes(this.#getter, cid, options)
  }

  /** The chunks of a large value in order, verified as `getLarge` does, without holding it all. */
  readLarge (cid: BlockCid, options: ReadLargeOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    return readLarge(this.#getter, cid, options)
  }

  readonly #getter: BlockGetter = async (cid, options) => {
    const data = await this.get(cid, options)
    if (data === undefined) throw new BlockNotFoundError(cid.toString())
    return data
  }

  /** Stamps every block without an info record, once per store (see the module comment). */
  async #ensureStamped (signal: AbortSignal | undefined): Promise<void> {
    this.#stamping ??= this.#stampAll().catch((err: unknown) => {
      this.#stamping = undefined
      throw err
    })
    const stamping = this.#stamping
    if (signal === undefined) {
      await stamping
      return
    }
    // an abort stops this caller waiting; the stamping goes on for the next one
    let onAbort: (() => void) | undefined
    try {
      await Promise.race([stamping, new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })])
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    }
  }

  async #stampAll (): Promise<void> {
    if (await this.#store.getMeta(STAMPED_META) !== undefined) return
    let stamped = 0
    let pending: Promise<boolean>[] = []
    for await (const record of this.#store.db.find(BLOCKS, {})) {
      let cid: BlockCid
      try {
        cid = cidFromBytes(new Uint8Array(record.cid))
      } catch {
        continue // cids() logs these
      }
      if (await this.#readInfo(cid) !== undefined) continue
      pending.push(this.#enqueue({ kind: 'stamp', cid, size: (record.data as Uint8Array).byteLength }))
      stamped++
      if (pending.length >= MAX_WRITE_BATCH_OPS) {
        await Promise.all(pending)
        pending = []
      }
    }
    await Promise.all(pending)
    await this.#store.putMeta(STAMPED_META, Uint8Array.of(1))
    if (stamped > 0) this.#log('stamped %d blocks stored before block stamps with the current time', stamped)
  }

  /**
   * Before the first write: a store with no blocks at all has none from before stamps, so
   * note that now, sparing the first `stored()` a scan of every block (which reads them
   * all). Runs under the write lock, within the commit of the first writes.
   */
  async #noteFreshStore (): Promise<void> {
    this.#freshChecked = true
    const db = this.#store.db
    if (await db.get('@meshflow/meta', { key: STAMPED_META }) !== null) return
    if (await db.findOne(BLOCKS, {}) !== null) return
    await db.insert('@meshflow/meta', { key: STAMPED_META, value: Buffer.from([1]) })
  }

  async #readInfo (cid: BlockCid): Promise<{ storedAt: number, size: number } | undefined> {
    const record = await this.#store.db.get(INFO, { cid: toBuffer(cid.bytes) })
    return record === null || record === undefined ? undefined : record
  }

  /** The CRC-32 stored with the block, if any. */
  async #readCrc (cid: BlockCid): Promise<number | undefined> {
    const record = await this.#store.db.get(CRCS, { cid: toBuffer(cid.bytes) })
    return record === null || record === undefined ? undefined : record.crc
  }

  /** Writes the block and its CRC (none for a CRC of 0: hyperdb stores no optional zero). */
  async #writeBlock (key: { cid: Buffer }, data: Uint8Array): Promise<void> {
    const db = this.#store.db
    await db.insert(BLOCKS, { ...key, data: toBuffer(data) })
    const crc = crc32(data)
    if (crc !== 0) await db.insert(CRCS, { ...key, crc })
    else if (await db.get(CRCS, key) !== null) await db.delete(CRCS, key)
  }

  /** Deletes the block's CRC record, if it has one. */
  async #deleteCrc (key: { cid: Buffer }): Promise<void> {
    const db = this.#store.db
    if (await db.get(CRCS, key) !== null) await db.delete(CRCS, key)
  }

  async #read (cid: BlockCid): Promise<Uint8Array | undefined> {
    const record = await this.#store.db.get(BLOCKS, { cid: toBuffer(cid.bytes) })
    if (record === null || record === undefined) return undefined
    const data = record.data as Uint8Array
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }

  #put (cid: BlockCid, bytes: Uint8Array): Promise<void> {
    const key = cid.toString()
    let pending = this.#putting.get(key)
    if (pending === undefined) {
      pending = this.#putOnce(cid, bytes).finally(() => { this.#putting.delete(key) })
      this.#putting.set(key, pending)
    }
    return pending
  }

  async #putOnce (cid: BlockCid, bytes: Uint8Array): Promise<void> {
    const key = cid.toString()
    if (!this.#deleting.has(key)) {
      const existing = await this.#read(cid)
      if (existing !== undefined) {
        if (equalBytes(existing, bytes)) {
          this.#stats.blocksDeduplicated++
          const info = await this.#readInfo(cid)
          // a recent stamp is kept: garbage collection allows for it (see restampAfterMs)
          if (info !== undefined && this.#now() - info.storedAt < this.restampAfterMs) return
          // re-checked under the lock: the block may be collected before this is written
          await this.#enqueue({ kind: 'touch', cid, data: bytes })
          return
        }
        this.#log.error('block %s: the stored copy does not match its CID, replacing it', key)
      }
    }
    await this.#enqueue({ kind: 'put', cid, data: bytes })
  }

  #enqueue (op: WriteOp): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject })
      if (!this.#draining) {
        this.#draining = true
        // the writer settles every queued write itself; it never rejects
        void this.#drain()
      }
    })
  }

  /** Writes what is queued, a bounded group per commit, until the queue is empty. */
  async #drain (): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let batch: QueuedWrite[] = []
        try {
          const done = await this.#lock.run(async () => {
            // taken under the lock, so writes queued while waiting for it join this commit
            batch = this.#takeBatch()
            if (!this.#freshChecked) await this.#noteFreshStore()
            const results: boolean[] = []
            // reads in here see the writes before them in the batch (hyperdb reads its pending updates)
            for (const { op } of batch) results.push(await this.#apply(op))
            await this.#store.db.flush()
            return results
          })
          this.#stats.commits++
          batch.forEach((w, i) => {
            const { op } = w
            if (op.kind === 'put' || (op.kind === 'touch' && done[i] === true)) {
              this.#stats.blocksWritten++
              this.#stats.bytesWritten += op.data.byteLength
            } else if (op.kind === 'touch') {
              this.#stats.restamps++
            } else if (op.kind === 'collect' && done[i] === true) {
              this.#stats.blocksCollected++
            }
            w.resolve(done[i]!)
          })
        } catch (err) {
          this.#log.error('writing %d blocks failed: %e', batch.length, err)
          const error = err instanceof Error ? err : new Error(String(err))
          for (const w of batch) w.reject(error)
        }
      }
    } finally {
      this.#draining = false
    }
  }

  /**
   * Applies one write inside a commit (under the write lock). Resolves with: put, whether
   * written (always); touch, whether the block itself had to be written; delete and
   * collect, whether the block was removed; stamp, whether a stamp was added.
   */
  async #apply (op: WriteOp): Promise<boolean> {
    const db = this.#store.db
    const key = { cid: toBuffer(op.cid.bytes) }
    switch (op.kind) {
      case 'put':
        await this.#writeBlock(key, op.data)
        await db.insert(INFO, { ...key, storedAt: this.#now(), size: op.data.byteLength })
        return true
      case 'touch': {
        const info = await this.#readInfo(op.cid)
        if (info === undefined) await this.#writeBlock(key, op.data)
        await db.insert(INFO, { ...key, storedAt: this.#now(), size: op.data.byteLength })
        return info === undefined
      }
      case 'delete': {
        const there = await db.get(BLOCKS, key)
        if (there !== null && there !== undefined) await db.delete(BLOCKS, key)
        if (await this.#readInfo(op.cid) !== undefined) await db.delete(INFO, key)
        await this.#deleteCrc(key)
        return there !== null && there !== undefined
      }
      case 'collect': {
        const info = await this.#readInfo(op.cid)
        if (info === undefined || info.storedAt >= op.before) return false
        await db.delete(BLOCKS, key)
        await db.delete(INFO, key)
        await this.#deleteCrc(key)
        return true
      }
      case 'purge': {
        const there = await this.#read(op.cid)
        if (there === undefined || cidMatches(op.cid, there)) return false
        await db.delete(BLOCKS, key)
        if (await this.#readInfo(op.cid) !== undefined) await db.delete(INFO, key)
        await this.#deleteCrc(key)
        return true
      }
      case 'stamp': {
        if (await this.#readInfo(op.cid) !== undefined) return false
        await db.insert(INFO, { ...key, storedAt: this.#now(), size: op.size })
        return true
      }
    }
  }

  /** The next group of writes: at most 64 carrying blocks (16 MiB), 1024 in all. */
  #takeBatch (): QueuedWrite[] {
    let count = 0
    let withData = 0
    let bytes = 0
    while (count < this.#queue.length && count < MAX_WRITE_BATCH_OPS) {
      const op = this.#queue[count]!.op
      if (op.kind === 'put' || op.kind === 'touch') {
        if (withData >= MAX_WRITE_BATCH_BLOCKS) break
        if (count > 0 && bytes + op.data.byteLength > MAX_WRITE_BATCH_BYTES) break
        withData++
        bytes += op.data.byteLength
      }
      count++
    }
    return this.#queue.splice(0, count)
  }
}

function checkSize (bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('A block must be a Uint8Array')
  if (bytes.byteLength > MAX_BLOCK_BYTES) throw new BlockTooLargeError(bytes.byteLength, MAX_BLOCK_BYTES)
}

function toBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && toBuffer(a).equals(b)
}

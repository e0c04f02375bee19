/**
 * Garbage collection of this peer's blocks (DESIGN §6): mark and sweep. Every block
 * reachable from the roots is kept; every other block stored longer ago than the grace
 * period is deleted.
 *
 * Marking starts from `roots()` (CID strings: retained checkpoint manifests, savepoints,
 * job code …) and follows, for each reachable block, the children the caller declares
 * with `references(cid, bytes)`, and the chunks of large-value manifests made by
 * `putLarge`, which the collector recognises itself. The chunks under a manifest are raw
 * slices of a value: they are kept without being read, and `references` is not called on
 * them (nor on the manifests), so CIDs written inside a value stored with `putLarge` are
 * not followed: a block that lists other blocks must be a plain block (≤ 1 MiB).
 * A reachable block this peer does not hold is read with `fetch` (from its holders), since
 * this peer may hold its children; if some reachable block cannot be read (or `references`
 * throws on it), its children are unknown and the round deletes nothing (`unresolved`).
 * Blocks are immutable, so the children found are remembered (for the blocks still
 * reachable) and the next round reads only blocks it has not seen: `references` must
 * depend on the bytes alone.
 *
 * Sweeping lists the blocks held with their stamps (see block-store.ts) and deletes the
 * unreachable ones stamped before `start - graceMs - blocks.restampAfterMs`, each with a
 * conditional delete judged under the store's write lock. Why that is safe against a
 * concurrent writer: a block put (or put again) at time t is stamped at or after
 * `t - restampAfterMs`, so it is not deleted before `t + graceMs`; a writer that puts
 * every block a new root references, then publishes the root within `graceMs`, never
 * loses one, also when a put of the same CID lands between the mark and the delete (the
 * delete sees the new stamp and leaves the block, or the put sees the block gone and
 * writes it again). A writer must therefore put the blocks of a new checkpoint even when
 * it believes they exist: such a put costs a read and at most a small stamp write.
 *
 * @example
 * const gc = new BlockGarbageCollector({
 *   blocks,
 *   roots: () => metadata.retainedRootCids(),
 *   references: (cid, bytes) => decodeCheckpointManifest(bytes).stateCids,
 *   fetch: (cid, o) => fetcher.fetch(cid, { from: rendezvousOrder(cid.toString(), members()), ...o })
 * })
 * const { kept, deleted, bytesFreed } = await gc.collect({ signal })
 */
import { logger, type Logger } from '@libp2p/logger'
import { parseCid, type BlockCid } from '../../protocol/cid.ts'
import { DEFAULT_GC_GRACE_MS, DEFAULT_GC_READ_CONCURRENCY, GC_DELETE_BATCH } from './block-constants.ts'
import type { BlockStore } from './block-store.ts'
import { largeValueManifest, type Manifest } from './chunking.ts'

/** What a BlockGarbageCollector uses. */
export interface BlockGarbageCollectorComponents {
  readonly blocks: BlockStore
  /** The CIDs everything kept hangs from, asked at the start of every collection. */
  readonly roots: () => Promise<readonly string[]> | readonly string[]
  /**
   * The children of a reachable block, as CID strings (invalid ones are logged and
   * skipped). Called once per reachable block per collection, never for large-value
   * manifests or their chunks (the collector follows those itself).
   */
  readonly references: (cid: string, bytes: Uint8Array) => readonly string[] | Promise<readonly string[]>
  /**
   * Reads a reachable block this peer does not hold intact, verified against its CID,
   * from other peers; throws (e.g. `BlockNotFoundError`) when none has it. Without it
   * only local blocks can be read, which suits a single peer.
   */
  readonly fetch?: (cid: BlockCid, options: { signal?: AbortSignal }) => Promise<Uint8Array>
}

/** Options of a BlockGarbageCollector. */
export interface BlockGarbageCollectorInit {
  /** Blocks stored more recently than this are never collected (default 10 min). */
  readonly graceMs?: number
  /** Reachable blocks read at once while marking (default 8). */
  readonly readConcurrency?: number
  /** The clock, ms since the epoch: must be the block store's (default `Date.now`). */
  readonly now?: () => number
  /** Defaults to `logger('meshflow:storage:gc')`. */
  readonly log?: Logger
}

/** Options of `collect`. */
export interface CollectOptions {
  readonly signal?: AbortSignal
}

/** What one collection did. */
export interface CollectResult {
  /** Distinct blocks reachable from the roots (held here or not). */
  readonly reachable: number
  /** Blocks this peer holds that were not deleted (reachable, young, or racing a put). */
  readonly kept: number
  /** Of `kept`: unreachable blocks spared because they were stored within the grace period. */
  readonly young: number
  /** Blocks deleted. */
  readonly deleted: number
  /** Bytes of the blocks deleted. */
  readonly bytesFreed: number
  /**
   * Reachable blocks whose children could not be learnt (no intact copy found, or
   * `references` threw). When not empty, nothing was deleted.
   */
  readonly unresolved: readonly string[]
  /** How long the collection took. */
  readonly ms: number
}

/** Deletes blocks unreachable from the roots (see the module comment). */
export class BlockGarbageCollector {
  readonly #blocks: BlockStore
  readonly #roots: BlockGarbageCollectorComponents['roots']
  readonly #references: BlockGarbageCollectorComponents['references']
  readonly #fetch: BlockGarbageCollectorComponents['fetch']
  readonly #now: () => number
  readonly #log: Logger
  readonly graceMs: number
  readonly #readConcurrency: number
  /** The collection in progress: collections run one at a time. */
  #running: Promise<unknown> = Promise.resolve()
  /** The children of the blocks reachable last round, by CID: blocks never change. */
  #known = new Map<string, Children>()

  constructor (components: BlockGarbageCollectorComponents, init: BlockGarbageCollectorInit = {}) {
    this.#blocks = components.blocks
    this.#roots = components.roots
    this.#references = components.references
    this.#fetch = components.fetch
    this.#now = init.now ?? Date.now
    this.#log = init.log ?? logger('meshflow:storage:gc')
    this.graceMs = Math.max(0, init.graceMs ?? DEFAULT_GC_GRACE_MS)
    this.#readConcurrency = Math.max(1, init.readConcurrency ?? DEFAULT_GC_READ_CONCURRENCY)
  }

  /**
   * Marks every block reachable from the roots and deletes the unreachable ones stored
   * before the grace period (see the module comment). A call while another runs waits for
   * it. Deletions already queued when the signal aborts still complete.
   *
   * @throws whatever `roots()` throws, or `signal.reason` when the signal aborts
   */
  async collect (options: CollectOptions = {}): Promise<CollectResult> {
    options.signal?.throwIfAborted()
    const previous = this.#running
    const run = previous.then(async () => await this.#collect(options.signal), async () => await this.#collect(options.signal))
    this.#running = run.catch(() => {})
    return await run
  }

  async #collect (signal: AbortSignal | undefined): Promise<CollectResult> {
    signal?.throwIfAborted()
    const started = this.#now()
    const startedMs = performance.now()
    // fixed before the roots are read: a block stamped after this is young, whatever the roots say
    const cutoff = started - this.graceMs - this.#blocks.restampAfterMs
    const { marked, unresolved } = await this.#mark(await this.#roots(), signal)

    let kept = 0
    let young = 0
    let deleted = 0
    let bytesFreed = 0
    let batch: Promise<void>[] = []
    const sweep = unresolved.length === 0
    try {
      for await (const block of this.#blocks.stored(signal === undefined ? {} : { signal })) {
        if (!sweep || marked.has(block.cid.toString())) {
          kept++
          continue
        }
        if (block.storedAt >= cutoff) {
          kept++
          young++
          continue
        }
        batch.push(this.#blocks.deleteIfStoredBefore(block.cid, cutoff).then(removed => {
          if (removed) {
            deleted++
            bytesFreed += block.size
          } else {
            kept++ // put again since it was listed
          }
        }))
        if (batch.length >= GC_DELETE_BATCH) {
          await Promise.all(batch)
          batch = []
        }
      }
      await Promise.all(batch)
    } catch (err) {
      // deletions already queued finish either way: wait for them, so none fails unheard
      await Promise.allSettled(batch)
      throw err
    }
    const ms = performance.now() - startedMs
    if (!sweep) {
      this.#log.error('garbage collection deleted nothing: the children of %d reachable blocks are unknown (%s)', unresolved.length, unresolved.slice(0, 5).join(', '))
    } else {
      this.#log('garbage collection: %d reachable, kept %d held blocks (%d young), deleted %d (%d bytes) in %d ms', marked.size, kept, young, deleted, bytesFreed, Math.round(ms))
    }
    return { reachable: marked.size, kept, young, deleted, bytesFreed, unresolved, ms }
  }

  /** Every CID reachable from `roots`, and the reachable blocks whose children are unknown. */
  async #mark (roots: readonly string[], signal: AbortSignal | undefined): Promise<{ marked: Set<string>, unresolved: string[] }> {
    const marked = new Set<string>()
    /** Blocks whose children were looked for (a chunk is marked without being expanded). */
    const expanded = new Set<string>()
    const unresolved: string[] = []
    /** What `#known` becomes: the children of the blocks reachable this round. */
    const known = new Map<string, Children>()
    let frontier = this.#parse(roots, 'root')
    while (frontier.length > 0) {
      signal?.throwIfAborted()
      const next: BlockCid[] = []
      const todo = frontier.filter(cid => {
        const key = cid.toString()
        marked.add(key)
        if (expanded.has(key)) return false
        expanded.add(key)
        return true
      })
      let i = 0
      const worker = async (): Promise<void> => {
        while (i < todo.length) {
          signal?.throwIfAborted()
          const cid = todo[i++]!
          const key = cid.toString()
          const children = this.#known.get(key) ?? await this.#children(cid, signal)
          if (children === undefined) {
            unresolved.push(key)
            continue
          }
          known.set(key, children)
          for (const chunk of children.chunks) marked.add(chunk.toString())
          for (const node of children.nodes) next.push(node)
        }
      }
      await Promise.all(Array.from({ length: Math.min(this.#readConcurrency, todo.length) }, worker))
      frontier = next
    }
    this.#known = known
    return { marked, unresolved }
  }

  /** The children of a reachable block, read; undefined when it cannot be read or `references` fails. */
  async #children (cid: BlockCid, signal: AbortSignal | undefined): Promise<Children | undefined> {
    const shown = cid.toString()
    const bytes = await this.#read(cid, signal)
    if (bytes === undefined) return undefined
    const manifest = largeValueManifest(cid, bytes)
    if (manifest !== undefined) {
      return manifest.level === 0 ? { nodes: NONE, chunks: manifest.chunks } : { nodes: manifest.chunks, chunks: NONE }
    }
    try {
      const nodes = this.#parse(await this.#references(shown, bytes), `reference of ${shown}`)
      return nodes.length === 0 ? LEAF : { nodes, chunks: NONE }
    } catch (err) {
      this.#log.error('the references of block %s are unknown: %e', shown, err)
      return undefined
    }
  }

  /** A reachable block's bytes, verified: local, else fetched; undefined when neither works. */
  async #read (cid: BlockCid, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const options = signal === undefined ? {} : { signal }
    try {
      const local = await this.#blocks.get(cid, options)
      if (local !== undefined) return local
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason
      this.#log.error('reading reachable block %s here failed: %e', cid, err)
    }
    if (this.#fetch === undefined) {
      this.#log.error('reachable block %s is not held here and no fetch is configured', cid)
      return undefined
    }
    try {
      return await this.#fetch(cid, options)
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason
      this.#log.error('reachable block %s could not be read from any peer: %e', cid, err)
      return undefined
    }
  }

  /** Parses CID strings; an invalid one names no block this store can hold, so it is logged and skipped. */
  #parse (cids: readonly string[], what: string): BlockCid[] {
    const out: BlockCid[] = []
    for (const text of cids) {
      try {
        out.push(parseCid(text))
      } catch (err) {
        this.#log.error('skipping %s %s: %e', what, text, err)
      }
    }
    return out
  }
}

/**
 * What a reachable block leads to: `nodes` to read in turn, and `chunks` (leaves of a large
 * value) to keep unread.
 */
interface Children {
  readonly nodes: readonly BlockCid[]
  readonly chunks: readonly BlockCid[]
}

const NONE: readonly BlockCid[] = []
/** The children of a block without any: shared, as most reachable blocks are leaves. */
const LEAF: Children = { nodes: NONE, chunks: NONE }


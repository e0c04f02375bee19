/**
 * Incremental snapshots of an operator's keyed state (checkpoint.ts, DESIGN §6): the
 * operator records which entries change, and each snapshot writes only those, as one delta
 * chunk on top of the chain of chunks earlier checkpoints stored. Chunks already stored go
 * by CID only, so a checkpoint after few changes writes few bytes, and unchanged state
 * writes none. When the chain gets long (more than `maxDeltas` deltas, deltas larger than
 * half the base, or most entries changed) the next snapshot is a fresh full base.
 *
 * State is seen as entries `(namespace, key) -> value` (keyed-chunk.ts for the format).
 * The operator owns the data; it tells this class what changed through the sets from
 * {@link IncrementalKeyedSnapshot.changes} (and {@link IncrementalKeyedSnapshot.drop} for
 * a whole namespace), and hands a {@link KeyedStateView} to `snapshot` to read entries.
 *
 * A chunk is sent with its bytes until a checkpoint that carried it completes
 * ({@link IncrementalKeyedSnapshot.complete}): before that nothing says it was stored, so
 * the next snapshot sends it again (blocks are content-addressed, a second put is a no-op).
 *
 * @example
 * const snapshots = new IncrementalKeyedSnapshot({ maxParallelism: 128, keyGroups: { start: 0, end: 127 }, trackChanges: true })
 * const counts = new Map<Key, number>()
 * const changed = snapshots.changes('count')
 * counts.set('a', 1); changed?.add('a')
 * const chunks = snapshots.snapshot(1, {
 *   forEach: visit => { for (const [k, v] of counts) visit('count', k, v) },
 *   get: (_ns, k) => counts.get(k)
 * })
 */
import type { Key } from '../../api/functions.ts'
import type { StateChunk } from '../checkpoint.ts'
import type { RestoredKeyedState } from './read-keyed-state.ts'
import { keyGroupOf, keyGroupRange } from '../../graph/key-groups.ts'
import type { OperatorContext } from '../stream-operator.ts'
import { encodeCbor } from '../../../protocol/cbor.ts'
import { cidOf } from '../../../protocol/cid.ts'
import {
  encodeKeyedChunk, KEYED_CHUNK_VERSION, MAX_CHUNK_BYTES, TARGET_CHUNK_BYTES, type ChunkKind, type KeyedChunk
} from './keyed-chunk.ts'

/** Read access to the operator's keyed state while it snapshots. */
export interface KeyedStateView {
  /** Calls `visit` for every live entry (for a full snapshot), best namespace by namespace. */
  forEach (visit: (namespace: string, key: Key, value: unknown) => void): void
  /** The live value of one entry, `undefined` when it has none (it is then deleted). */
  get (namespace: string, key: Key): unknown
}

export interface SnapshotOptions {
  /** The operator's watermark, restored with the state (default -Infinity). */
  readonly watermark?: number
  /** Operator-defined `[name, value, …]` pairs written with every chunk (e.g. state descriptors). */
  readonly meta?: readonly unknown[]
}

export interface IncrementalKeyedSnapshotInit {
  readonly maxParallelism: number
  /** The key groups of this subtask (inclusive). */
  readonly keyGroups: { readonly start: number, readonly end: number }
  /** Record changes and write deltas; without, every snapshot is full (no memory is spent on tracking). */
  readonly trackChanges: boolean
  /** Cut chunks at about this many bytes (default 512 KiB). */
  readonly targetChunkBytes?: number
  /** Deltas on one base before the next snapshot compacts (default 8). */
  readonly maxDeltas?: number
}

/** What the last snapshot did (tests, metrics, benchmarks). */
export interface SnapshotStats {
  readonly mode: 'full' | 'delta' | 'unchanged'
  /** Entries written, tombstones included. */
  readonly entries: number
  readonly newChunks: number
  readonly newBytes: number
  readonly chainChunks: number
  readonly ms: number
}

interface Link {
  readonly cid: string
  /** Until a checkpoint carrying this chunk completes. */
  bytes: Uint8Array | undefined
  readonly size: number
  readonly kind: ChunkKind
  /** The first checkpoint that carried it. */
  readonly since: number
}

interface Header {
  readonly ck: number
  readonly wm: number
  readonly meta: readonly unknown[]
}

/** A deleted entry in the flat buffer of entries to write. */
const TOMBSTONE: unique symbol = Symbol('tombstone')
const DEFAULT_MAX_DELTAS = 8
const NO_DROPS: readonly string[] = []

export class IncrementalKeyedSnapshot {
  readonly #maxParallelism: number
  readonly #range: readonly [number, number]
  readonly #track: boolean
  readonly #target: number
  readonly #maxDeltas: number
  readonly #changes = new Map<string, Set<Key>>()
  readonly #dropped = new Set<string>()
  #chain: Link[] = []
  #baseBytes = 0
  #baseEntries = 0
  #deltaBytes = 0
  #deltas = 0
  /** The watermark the chain records. */
  #chainWatermark = Number.NEGATIVE_INFINITY
  /** The next snapshot must be full (nothing written yet, or a restore that cannot be built on). */
  #full = true
  /** Running estimate of encoded bytes per entry, to cut chunks near the target. */
  #bytesPerEntry = 32
  #stats: SnapshotStats | undefined

  constructor (init: IncrementalKeyedSnapshotInit) {
    this.#maxParallelism = init.maxParallelism
    this.#range = [init.keyGroups.start, init.keyGroups.end]
    this.#track = init.trackChanges
    this.#target = Math.min(init.targetChunkBytes ?? TARGET_CHUNK_BYTES, MAX_CHUNK_BYTES)
    this.#maxDeltas = init.maxDeltas ?? DEFAULT_MAX_DELTAS
  }

  /** What the last snapshot did. */
  get stats (): SnapshotStats | undefined { return this.#stats }

  /**
   * The set in which the operator records the keys it changed (wrote or deleted) in
   * `namespace`; cleared by every snapshot (in place: hold on to it). `undefined` when
   * changes are not tracked.
   */
  changes (namespace: string): Set<Key> | undefined {
    if (!this.#track) return undefined
    let set = this.#changes.get(namespace)
    if (set === undefined) {
      set = new Set()
      this.#changes.set(namespace, set)
    }
    return set
  }

  /** Records that every entry of `namespace` is gone (one record instead of a tombstone per key). */
  drop (namespace: string): void {
    if (!this.#track) return
    this.#dropped.add(namespace)
    this.#changes.get(namespace)?.clear()
    this.#changes.delete(namespace)
  }

  /**
   * Snapshots the state `view` shows: the chain of chunks that rebuilds it, new chunks
   * with their bytes. Encodes synchronously, so later changes cannot alter the result.
   */
  snapshot (checkpointId: number, view: KeyedStateView, options: SnapshotOptions = {}): StateChunk[] {
    const started = performance.now()
    const header: Header = { ck: checkpointId, wm: options.watermark ?? Number.NEGATIVE_INFINITY, meta: options.meta ?? [] }
    let changed = 0
    for (const set of this.#changes.values()) changed += set.size
    const full = !this.#track || this.#full || this.#deltas >= this.#maxDeltas ||
      this.#deltaBytes > this.#baseBytes / 2 || changed > this.#baseEntries / 2
    let mode: SnapshotStats['mode']
    let entries = 0
    let fresh: Uint8Array[]
    if (full) {
      mode = 'full'
      ;[fresh, entries] = this.#writeFull(view, header)
    } else if (changed === 0 && this.#dropped.size === 0 && header.wm === this.#chainWatermark) {
      mode = 'unchanged'
      fresh = []
    } else {
      mode = 'delta'
      entries = changed
      fresh = this.#writeDelta(view, header)
    }
    const kind: ChunkKind = full ? 'base' : 'delta'
    const links = fresh.map((bytes): Link => ({ cid: cidOf(bytes).toString(), bytes, size: bytes.byteLength, kind, since: checkpointId }))
    let newBytes = 0
    for (const l of links) newBytes += l.size
    if (full) {
      this.#chain = links
      this.#baseBytes = newBytes
      this.#baseEntries = entries
      this.#deltaBytes = 0
      this.#deltas = 0
      this.#full = false
    } else if (links.length > 0) {
      this.#chain.push(...links)
      this.#deltaBytes += newBytes
      this.#deltas++
    }
    for (const set of this.#changes.values()) set.clear()
    this.#dropped.clear()
    this.#chainWatermark = header.wm
    this.#stats = { mode, entries, newChunks: links.length, newBytes, chainChunks: this.#chain.length, ms: performance.now() - started }
    return this.#chain.map(l => l.bytes === undefined ? { cid: l.cid } : { cid: l.cid, bytes: l.bytes })
  }

  /** Checkpoint `checkpointId` completed: the chunks it carried are stored, later snapshots name them by CID. */
  complete (checkpointId: number): void {
    for (const l of this.#chain) if (l.bytes !== undefined && l.since <= checkpointId) l.bytes = undefined
  }

  /**
   * Continues from restored state: builds on the restored chain when it holds exactly this
   * subtask's key groups (no rescaling), else the next snapshot is full. Call after the
   * operator loaded the state (it forgets the changes loading recorded).
   */
  adopt (restored: RestoredKeyedState): void {
    for (const set of this.#changes.values()) set.clear()
    this.#dropped.clear()
    this.#chain = []
    this.#baseBytes = this.#baseEntries = this.#deltaBytes = this.#deltas = 0
    this.#chainWatermark = restored.watermark
    if (!this.#track || restored.chain === undefined) {
      this.#full = true
      return
    }
    for (const c of restored.chain) {
      this.#chain.push({ cid: c.cid, bytes: undefined, size: c.size, kind: c.kind, since: Number.NEGATIVE_INFINITY })
      if (c.kind === 'base') this.#baseBytes += c.size
      else {
        this.#deltaBytes += c.size
        this.#deltas++
      }
    }
    this.#baseEntries = restored.entries
    this.#full = false
  }

  #writeFull (view: KeyedStateView, header: Header): [Uint8Array[], number] {
    const out: Uint8Array[] = []
    const buf: unknown[] = []
    const mp = this.#maxParallelism
    let batch = this.#batchEntries()
    let entries = 0
    view.forEach((ns, key, value) => {
      if (value === undefined) return
      buf.push(ns, keyGroupOf(key, mp), key, value)
      entries++
      if (buf.length >= batch * 4) {
        this.#write(out, 'base', header, buf, 0, buf.length, NO_DROPS)
        buf.length = 0
        batch = this.#batchEntries()
      }
    })
    if (buf.length > 0 || (out.length === 0 && header.wm !== Number.NEGATIVE_INFINITY)) {
      this.#write(out, 'base', header, buf, 0, buf.length, NO_DROPS)
    }
    return [out, entries]
  }

  #writeDelta (view: KeyedStateView, header: Header): Uint8Array[] {
    const out: Uint8Array[] = []
    const buf: unknown[] = []
    const mp = this.#maxParallelism
    let drops: readonly string[] = [...this.#dropped]
    let batch = this.#batchEntries()
    for (const [ns, keys] of this.#changes) {
      for (const key of keys) {
        const value = view.get(ns, key)
        buf.push(ns, keyGroupOf(key, mp), key, value === undefined ? TOMBSTONE : value)
        if (buf.length >= batch * 4) {
          this.#write(out, 'delta', header, buf, 0, buf.length, drops)
          drops = NO_DROPS
          buf.length = 0
          batch = this.#batchEntries()
        }
      }
    }
    if (buf.length > 0 || out.length === 0) this.#write(out, 'delta', header, buf, 0, buf.length, drops)
    return out
  }

  #batchEntries (): number {
    return Math.max(16, Math.min(1 << 16, Math.floor(this.#target / this.#bytesPerEntry)))
  }

  /** Encodes entries `buf[from, to)` (four slots each) into one chunk, or several when too large. */
  #write (out: Uint8Array[], kind: ChunkKind, header: Header, buf: unknown[], from: number, to: number, drops: readonly string[]): void {
    const n = (to - from) / 4
    const bytes = encodeKeyedChunk(this.#chunk(kind, header, buf, from, to, drops, null))
    if (bytes.byteLength <= MAX_CHUNK_BYTES) {
      if (n > 0) this.#bytesPerEntry = Math.max(1, bytes.byteLength / n)
      out.push(bytes)
      return
    }
    if (n > 1) {
      const mid = from + Math.floor(n / 2) * 4
      this.#write(out, kind, header, buf, from, mid, drops)
      this.#write(out, kind, header, buf, mid, to, NO_DROPS)
      return
    }
    // one entry larger than a chunk: its value's bytes go in slices, one chunk each
    const ns = buf[from] as string
    const kg = buf[from + 1] as number
    const key = buf[from + 2] as Key
    const value = encodeCbor(buf[from + 3])
    const slice = this.#target
    const count = Math.ceil(value.byteLength / slice)
    for (let i = 0; i < count; i++) {
      const part = [ns, kg, key, i, count, value.subarray(i * slice, (i + 1) * slice)] as const
      out.push(encodeKeyedChunk(this.#chunk(kind, header, buf, 0, 0, i === 0 ? drops : NO_DROPS, part)))
    }
  }

  #chunk (kind: ChunkKind, h: Header, buf: unknown[], from: number, to: number, drops: readonly string[], part: KeyedChunk['part']): KeyedChunk {
    const put: unknown[] = []
    const del: unknown[] = []
    let putNs: unknown
    let putFlat: unknown[] = []
    let delNs: unknown
    let delFlat: unknown[] = []
    for (let i = from; i < to; i += 4) {
      const ns = buf[i]
      const value = buf[i + 3]
      if (value === TOMBSTONE) {
        if (ns !== delNs) {
          delFlat = []
          del.push(ns, delFlat)
          delNs = ns
        }
        delFlat.push(buf[i + 1], buf[i + 2])
      } else {
        if (ns !== putNs) {
          putFlat = []
          put.push(ns, putFlat)
          putNs = ns
        }
        putFlat.push(buf[i + 1], buf[i + 2], value)
      }
    }
    return { v: KEYED_CHUNK_VERSION, kind, ck: h.ck, mp: this.#maxParallelism, kg: this.#range, wm: h.wm, meta: h.meta, drop: drops, del, put, part }
  }
}

/** The snapshots of one keyed operator subtask: its key groups, change tracking when the job checkpoints. */
export function keyedSnapshotsOf (context: Pick<OperatorContext, 'subtaskIndex' | 'parallelism' | 'maxParallelism' | 'checkpointing'>): IncrementalKeyedSnapshot {
  return new IncrementalKeyedSnapshot({
    maxParallelism: context.maxParallelism,
    keyGroups: keyGroupRange(context.subtaskIndex, context.parallelism, context.maxParallelism),
    trackChanges: context.checkpointing
  })
}

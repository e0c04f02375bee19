/**
 * Decoded columns of dataset segments by segment CID, for a peer's scans: a segment is an
 * immutable, content-addressed block, so a column decoded once serves every later scan of
 * it — nothing is ever invalidated, entries only leave when the byte budget needs room
 * (least recently used segment first). A warm query then reads only the columns it needs
 * from memory, instead of fetching the whole block from the store, checking it and
 * decoding it again.
 *
 * Each cached column is a copy of its slice of the segment (typed arrays of its own), so a
 * cached column never keeps the whole segment's bytes alive and the budget counts what is
 * really held. A segment whose asked columns alone are over the budget is decoded and
 * returned uncached. Loads of the same segment at the same time share one read.
 *
 * @example
 * const cache = new SegmentColumnCache({ maxBytes: 256 * 1024 * 1024 })
 * const view = await cache.read(cid, schema, ['price', 'discount'], async () => await fetchBlock(cid))
 */
import { totalmem } from 'node:os'
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import { readSegment, type ColumnView, type SegmentView } from './segment-reader.ts'

/** Most bytes a peer's column cache holds by default: an eighth of the machine's memory, at most 1 GiB. */
export const DEFAULT_SEGMENT_CACHE_BYTES = Math.min(1024 * 1024 * 1024, Math.floor(totalmem() / 8))

/** Bytes counted for a segment held besides its columns (its entry, its row count). */
export const SEGMENT_ENTRY_BYTES = 64

/** The decoded columns of one segment held, with their bytes. */
interface Entry {
  readonly rows: number
  /** The columns' names and types, as the segment has them (see `layoutOf`). */
  readonly layout: string
  readonly columns: Map<string, ColumnView>
  bytes: number
}

export interface SegmentColumnCacheInit {
  /** Most bytes of decoded columns held (default DEFAULT_SEGMENT_CACHE_BYTES; 0 keeps nothing). */
  readonly maxBytes?: number
}

/** What a SegmentColumnCache holds and has done (a peer's status, tests). */
export interface SegmentColumnCacheStats {
  readonly segments: number
  readonly bytes: number
  readonly maxBytes: number
  /** Columns found decoded. */
  readonly hits: number
  /** Columns that had to be decoded from the segment's bytes. */
  readonly misses: number
  /** Segments dropped to make room. */
  readonly evictions: number
}

export class SegmentColumnCache {
  readonly #maxBytes: number
  /** Insertion order is recency: a hit moves its segment to the end. */
  readonly #entries = new Map<string, Entry>()
  /** Segments whose bytes are being read, so concurrent misses share one read. */
  readonly #loading = new Map<string, Promise<Uint8Array>>()
  #bytes = 0
  #hits = 0
  #misses = 0
  #evictions = 0

  constructor (init: SegmentColumnCacheInit = {}) {
    const max = init.maxBytes ?? DEFAULT_SEGMENT_CACHE_BYTES
    if (!Number.isFinite(max) || max < 0) throw new RangeError(`The segment cache's size must be a non-negative number of bytes, got ${max}`)
    this.#maxBytes = Math.floor(max)
  }

  /**
   * The columns `columns` of segment `cid` (as `readSegment` returns them, in the order
   * asked): those cached as they are, the others decoded from the bytes `load` resolves with
   * (called only when a column is missing) and kept within the budget.
   *
   * @throws what `load` throws, CorruptSegmentError, UnknownColumnError (as readSegment)
   */
  async read (cid: string, schema: DatasetSchema, columns: readonly string[], load: () => Promise<Uint8Array>): Promise<SegmentView> {
    const layout = layoutOf(schema)
    const entry = this.#entries.get(cid)
    if (entry !== undefined && entry.layout === layout) {
      const view = viewOf(entry, columns)
      if (view !== undefined) {
        this.#entries.delete(cid)
        this.#entries.set(cid, entry)
        this.#hits += columns.length
        return view
      }
    }
    let loading = this.#loading.get(cid)
    if (loading === undefined) {
      loading = load()
      this.#loading.set(cid, loading)
      const done = (): void => { if (this.#loading.get(cid) === loading) this.#loading.delete(cid) }
      loading.then(done, done)
    }
    const bytes = await loading
    // another read may have added columns meanwhile; a schema that is not the segment's
    // decodes everything, so readSegment refuses it as it would uncached
    const held = this.#entries.get(cid)
    const again = held?.layout === layout ? held : undefined
    const missing = again === undefined ? columns : columns.filter(c => !again.columns.has(c))
    const decoded = readSegment(bytes, schema, { columns: missing })
    this.#misses += missing.length
    this.#hits += columns.length - missing.length
    const added = new Map<string, ColumnView>()
    let addedBytes = 0
    for (const [name, column] of decoded.columns) {
      const copy = ownColumn(column)
      added.set(name, copy)
      addedBytes += columnBytes(copy)
    }
    const out = new Map<string, ColumnView>()
    for (const name of columns) out.set(name, added.get(name) ?? again!.columns.get(name)!)
    this.#keep(cid, layout, decoded.rows, added, addedBytes)
    return { rows: decoded.rows, columns: out }
  }

  /** What the cache holds and has done. */
  stats (): SegmentColumnCacheStats {
    return { segments: this.#entries.size, bytes: this.#bytes, maxBytes: this.#maxBytes, hits: this.#hits, misses: this.#misses, evictions: this.#evictions }
  }

  /** Drops everything held. */
  clear (): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  #keep (cid: string, layout: string, rows: number, added: Map<string, ColumnView>, addedBytes: number): void {
    const held = this.#entries.get(cid)
    let entry = held?.layout === layout ? held : undefined
    if (entry !== undefined && added.size === 0) return
    // a segment read for no column at all (COUNT(*)) is kept too: its row count
    const total = (entry?.bytes ?? SEGMENT_ENTRY_BYTES) + addedBytes
    if (total > this.#maxBytes) return // too large to hold at all: served uncached
    if (held !== undefined) {
      this.#entries.delete(cid)
      if (entry === undefined) this.#bytes -= held.bytes
    }
    entry ??= { rows, layout, columns: new Map(), bytes: 0 }
    this.#bytes += total - entry.bytes
    for (const [name, column] of added) entry.columns.set(name, column)
    entry.bytes = total
    this.#entries.set(cid, entry)
    for (const [victim, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes || victim === cid) break
      this.#entries.delete(victim)
      this.#bytes -= e.bytes
      this.#evictions++
    }
  }
}

/** The asked columns of a cached entry; undefined when one is missing. */
function viewOf (entry: Entry, columns: readonly string[]): SegmentView | undefined {
  const out = new Map<string, ColumnView>()
  for (const name of columns) {
    const column = entry.columns.get(name)
    if (column === undefined) return undefined
    out.set(name, column)
  }
  return { rows: entry.rows, columns: out }
}

const layouts = new WeakMap<DatasetSchema, string>()

/** The schema's column names and types as one string: a segment read with it has exactly these. */
function layoutOf (schema: DatasetSchema): string {
  let layout = layouts.get(schema)
  if (layout === undefined) layouts.set(schema, layout = JSON.stringify(schema.columns.map(c => [c.name, c.type])))
  return layout
}

/** A column whose arrays are its own (copied out of the segment's bytes). */
function ownColumn (c: ColumnView): ColumnView {
  const nulls = c.nulls === undefined ? undefined : own(c.nulls)
  switch (c.kind) {
    case 'float64': return { ...c, nulls, values: own(c.values) }
    case 'int32': return { ...c, nulls, values: own(c.values) }
    case 'int64': return { ...c, nulls, values: own(c.values) }
    case 'bits': return { ...c, nulls, bits: own(c.bits) }
    case 'dict': return { ...c, nulls, indexes: own(c.indexes) }
    case 'utf8': return { ...c, nulls, offsets: own(c.offsets), bytes: Buffer.from(c.bytes) }
  }
}

/** The array itself when it is all of its buffer (readSegment copied it already: unaligned), else a copy. */
function own<A extends { readonly byteOffset: number, readonly byteLength: number, readonly buffer: ArrayBufferLike, slice(): A }> (a: A): A {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice()
}

/** Bytes a decoded column holds (strings of a dictionary at two bytes a code unit, plus a word each). */
export function columnBytes (c: ColumnView): number {
  let n = c.nulls?.byteLength ?? 0
  switch (c.kind) {
    case 'float64':
    case 'int32':
    case 'int64': n += c.values.byteLength; break
    case 'bits': n += c.bits.byteLength; break
    case 'dict':
      n += c.indexes.byteLength
      for (const s of c.dictionary) n += 16 + 2 * s.length
      break
    case 'utf8': n += c.offsets.byteLength + c.bytes.byteLength; break
  }
  return n
}

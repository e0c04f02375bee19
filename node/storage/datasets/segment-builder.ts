/**
 * Cuts a stream of rows into segments of about a target size (default: just under one
 * block, so a segment is one `put`; a larger target makes segments the writer stores with
 * `putLarge`). The size is estimated per row as it is appended (fixed-width columns plus
 * string lengths, without the savings of dictionaries, so segments tend to come out
 * smaller than the target); a segment that still encodes to more than the target (many
 * non-ASCII strings) is split in two.
 *
 * @example
 * const builder = new SegmentBuilder(schema)
 * for (const row of rows) for (const segment of builder.append(row)) await put(segment.bytes)
 * const last = builder.flush()
 */
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import { DEFAULT_SEGMENT_TARGET_BYTES, MAX_SEGMENT_ROWS } from './constants.ts'
import { validateSchema } from './dataset-schema.ts'
import { RowTooLargeError } from './errors.ts'
import { encodeSegment, type EncodedSegment } from './segment-codec.ts'
import { ENTRY_BYTES, HEADER_BYTES } from './segment-format.ts'

/** Options of a SegmentBuilder. */
export interface SegmentBuilderInit {
  /** Most bytes a segment encodes to (default DEFAULT_SEGMENT_TARGET_BYTES, one block). */
  readonly targetBytes?: number
  /** Most rows in a segment (default and at most MAX_SEGMENT_ROWS). */
  readonly maxRows?: number
}

/** Appends rows and hands back the segments it cuts. Not safe to share between writers. */
export class SegmentBuilder {
  readonly schema: DatasetSchema
  readonly targetBytes: number
  readonly maxRows: number
  readonly #fixedPerRow: number
  readonly #overhead: number
  readonly #strings: readonly string[]
  #rows: unknown[] = []
  #estimate = 0
  /** Rows appended before the pending ones (for error messages). */
  #done = 0

  constructor (schema: DatasetSchema, init: SegmentBuilderInit = {}) {
    validateSchema(schema)
    this.schema = schema
    this.targetBytes = init.targetBytes ?? DEFAULT_SEGMENT_TARGET_BYTES
    this.maxRows = Math.min(init.maxRows ?? MAX_SEGMENT_ROWS, MAX_SEGMENT_ROWS)
    if (!(this.maxRows >= 1)) throw new RangeError(`maxRows must be at least 1, got ${String(init.maxRows)}`)
    let fixed = 0
    for (const c of schema.columns) {
      // a value, plus its bit in a null bitmap
      fixed += c.type === 'boolean' ? 0.25 : c.type === 'string' ? 4.125 : 8.125
    }
    this.#fixedPerRow = fixed
    this.#strings = schema.columns.filter(c => c.type === 'string').map(c => c.name)
    // header, entries, names, and up to 7 bytes of alignment per section (three per column)
    this.#overhead = HEADER_BYTES + schema.columns.reduce((n, c) => n + ENTRY_BYTES + Buffer.byteLength(c.name) + 3 * 8 + 8, 8)
    if (this.#overhead >= this.targetBytes) throw new RangeError(`targetBytes ${this.targetBytes} is smaller than a segment header (${this.#overhead} bytes)`)
  }

  /** Rows appended and not yet in a segment. */
  get pendingRows (): number {
    return this.#rows.length
  }

  /**
   * Appends one row; returns the segments this cut (usually none).
   *
   * @throws RowTypeError when a segment is cut and a row of it does not fit the schema
   *   (the rows of that segment are dropped)
   */
  append (row: unknown): EncodedSegment[] {
    let size = this.#fixedPerRow
    if (typeof row === 'object' && row !== null) {
      for (const name of this.#strings) {
        const v = (row as Record<string, unknown>)[name]
        if (typeof v === 'string') size += v.length
      }
    }
    if (this.#rows.length > 0 && (this.#overhead + this.#estimate + size > this.targetBytes || this.#rows.length >= this.maxRows)) {
      const cut = this.#cut()
      this.#rows.push(row)
      this.#estimate = size
      return cut
    }
    this.#rows.push(row)
    this.#estimate += size
    return []
  }

  /** Appends rows; returns the segments this cut. */
  appendBatch (rows: Iterable<unknown>): EncodedSegment[] {
    const out: EncodedSegment[] = []
    for (const row of rows) {
      const cut = this.append(row)
      if (cut.length > 0) out.push(...cut)
    }
    return out
  }

  /** The pending rows as segments (none when there are none); the builder is then empty. */
  flush (): EncodedSegment[] {
    return this.#rows.length === 0 ? [] : this.#cut()
  }

  #cut (): EncodedSegment[] {
    const rows = this.#rows
    const first = this.#done
    this.#rows = []
    this.#estimate = 0
    this.#done += rows.length
    const out: EncodedSegment[] = []
    this.#encode(rows, 0, rows.length, first, out)
    return out
  }

  /** Encodes rows [from, to), halving the range while it encodes to more than the target. */
  #encode (rows: unknown[], from: number, to: number, first: number, out: EncodedSegment[]): void {
    const segment = encodeSegment(this.schema, from === 0 && to === rows.length ? rows : rows.slice(from, to), { firstRow: first + from })
    if (segment.bytes.byteLength <= this.targetBytes) {
      out.push(segment)
      return
    }
    if (to - from === 1) throw new RowTooLargeError(first + from, segment.bytes.byteLength, this.targetBytes)
    const middle = from + ((to - from) >>> 1)
    this.#encode(rows, from, middle, first, out)
    this.#encode(rows, middle, to, first, out)
  }
}

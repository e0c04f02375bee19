/**
 * Reading a dataset segment (layout: segment-format.ts) as columns: typed arrays viewed in
 * place where the bytes are aligned (copied once where not), null bitmaps, dictionaries.
 * Only the projected columns are looked at beyond the header. Every offset and length is
 * checked before it is used, so corrupt bytes (a damaged replica, a hostile peer) give a
 * CorruptSegmentError, never a crash or an out-of-range read.
 *
 * @example
 * const view = readSegment(bytes, schema, { columns: ['price', 'discount'] })
 * const price = view.columns.get('price') // { kind: 'float64', values: Float64Array, nulls, ... }
 */
import type { ColumnType, DatasetSchema, Scalar } from '../../api/dataset-schema.ts'
import { MAX_SEGMENT_ROWS, SEGMENT_FORMAT_VERSION, SEGMENT_MAGIC } from './constants.ts'
import { columnOf } from './dataset-schema.ts'
import { CorruptSegmentError } from './errors.ts'
import { ENCODING, ENTRY_BYTES, HEADER_BYTES, LITTLE_ENDIAN, TYPE_NAMES, bitmapBytes } from './segment-format.ts'

interface ColumnBase {
  readonly name: string
  readonly type: ColumnType
  readonly nullCount: number
  /** Bit (i & 7) of byte (i >> 3) is set when row i is null; undefined when no row is. */
  readonly nulls: Uint8Array | undefined
}

/** One column of a segment, as its encoding keeps it. A null row's slot holds 0. */
export type ColumnView = ColumnBase & (
  | { readonly kind: 'float64', readonly values: Float64Array }
  | { readonly kind: 'int32', readonly values: Int32Array }
  | { readonly kind: 'int64', readonly values: BigInt64Array }
  /** Booleans, bit (i & 7) of byte (i >> 3). */
  | { readonly kind: 'bits', readonly bits: Uint8Array }
  | { readonly kind: 'dict', readonly dictionary: readonly string[], readonly indexes: Uint8Array | Uint16Array | Uint32Array }
  /** Row i's string is `bytes.toString('utf8', offsets[i], offsets[i + 1])` (see `stringAt`). */
  | { readonly kind: 'utf8', readonly offsets: Uint32Array, readonly bytes: Buffer }
)

/** The projected columns of a segment. */
export interface SegmentView {
  readonly rows: number
  /** By name, in the order asked for (default: the schema's). */
  readonly columns: ReadonlyMap<string, ColumnView>
}

/** Options of `readSegment`. */
export interface ReadSegmentOptions {
  /** The columns to decode (default: all). */
  readonly columns?: readonly string[]
}

/** Row i of a column of plainly stored strings. */
export function stringAt (column: { readonly offsets: Uint32Array, readonly bytes: Buffer }, i: number): string {
  return column.bytes.toString('utf8', column.offsets[i]!, column.offsets[i + 1]!)
}

/** Row i's value of any column, null when null (a convenience: loops over one kind are faster). */
export function valueAt (column: ColumnView, i: number): Scalar | null {
  if (column.nulls !== undefined && ((column.nulls[i >>> 3]! >>> (i & 7)) & 1) === 1) return null
  switch (column.kind) {
    case 'float64':
    case 'int32':
    case 'int64': return column.values[i]!
    case 'bits': return ((column.bits[i >>> 3]! >>> (i & 7)) & 1) === 1
    case 'dict': return column.dictionary[column.indexes[i]!]!
    case 'utf8': return stringAt(column, i)
  }
}

/** A typed array over `length` elements at `offset`: in place when aligned, else a copy. */
function typed<T> (bytes: Uint8Array, offset: number, length: number, size: number, make: (buffer: ArrayBufferLike, offset: number, length: number) => T): T {
  if ((bytes.byteOffset + offset) % size === 0) return make(bytes.buffer, bytes.byteOffset + offset, length)
  const copy = bytes.slice(offset, offset + length * size)
  return make(copy.buffer, 0, length)
}

/**
 * The projected columns of a segment. The segment's columns must be the schema's (names,
 * types, order): a segment that says otherwise is corrupt.
 *
 * @throws CorruptSegmentError naming what is wrong (bad magic, a length out of range, truncated bytes)
 * @throws UnknownColumnError when a projected column is not in the schema
 */
export function readSegment (bytes: Uint8Array, schema: DatasetSchema, options: ReadSegmentOptions = {}): SegmentView {
  if (!LITTLE_ENDIAN) throw new Error('Dataset segments need a little-endian platform')
  if (!(bytes instanceof Uint8Array)) throw new CorruptSegmentError('not a byte array')
  const wanted = options.columns ?? schema.columns.map(c => c.name)
  for (const name of wanted) columnOf(schema, name)
  const length = bytes.byteLength
  if (length < HEADER_BYTES) throw new CorruptSegmentError(`truncated: ${length} bytes, shorter than the ${HEADER_BYTES}-byte header`)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, length)
  if (dv.getUint32(0, true) !== SEGMENT_MAGIC) throw new CorruptSegmentError('bad magic (not a segment)')
  const version = dv.getUint8(4)
  if (version !== SEGMENT_FORMAT_VERSION) throw new CorruptSegmentError(`unknown format version ${version}`)
  const count = dv.getUint16(6, true)
  const rows = dv.getUint32(8, true)
  const declared = dv.getUint32(12, true)
  if (declared > length) throw new CorruptSegmentError(`truncated: the header says ${declared} bytes, there are ${length}`)
  if (declared < length) throw new CorruptSegmentError(`${length - declared} bytes past the declared end (${declared})`)
  if (rows > MAX_SEGMENT_ROWS) throw new CorruptSegmentError(`row count ${rows} is over the limit ${MAX_SEGMENT_ROWS}`)
  if (count !== schema.columns.length) throw new CorruptSegmentError(`${count} columns in the segment, ${schema.columns.length} in the schema`)
  if (HEADER_BYTES + ENTRY_BYTES * count > length) throw new CorruptSegmentError(`truncated: ${count} column entries do not fit in ${length} bytes`)
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, length)
  const section = (what: string, offset: number, len: number): void => {
    if (offset < HEADER_BYTES + ENTRY_BYTES * count || offset + len > length) throw new CorruptSegmentError(`${what} (${len} bytes at ${offset}) is out of range of ${length} bytes`)
  }
  const index = new Map<string, number>()
  schema.columns.forEach((c, j) => {
    const e = HEADER_BYTES + ENTRY_BYTES * j
    const nameLength = dv.getUint16(e + 2, true)
    const nameOffset = dv.getUint32(e + 4, true)
    section(`the name of column ${j + 1}`, nameOffset, nameLength)
    const name = buffer.toString('utf8', nameOffset, nameOffset + nameLength)
    const type = TYPE_NAMES[dv.getUint8(e)]
    if (name !== c.name || type !== c.type) {
      throw new CorruptSegmentError(`column ${j + 1} is '${name}' (${type ?? `type code ${dv.getUint8(e)}`}) in the segment, '${c.name}' (${c.type}) in the schema`)
    }
    index.set(name, j)
  })
  const columns = new Map<string, ColumnView>()
  for (const name of wanted) columns.set(name, readColumn(bytes, buffer, dv, rows, schema.columns[index.get(name)!]!.type, name, HEADER_BYTES + ENTRY_BYTES * index.get(name)!, section))
  return { rows, columns }
}

function readColumn (bytes: Uint8Array, buffer: Buffer, dv: DataView, rows: number, type: ColumnType, name: string, e: number,
  section: (what: string, offset: number, len: number) => void): ColumnView {
  const encoding = dv.getUint8(e + 1)
  const nullCount = dv.getUint32(e + 8, true)
  const nullsOffset = dv.getUint32(e + 12, true)
  const dataOffset = dv.getUint32(e + 16, true)
  const dataLength = dv.getUint32(e + 20, true)
  const dictOffset = dv.getUint32(e + 24, true)
  const dictCount = dv.getUint32(e + 28, true)
  const what = `column '${name}'`
  if (nullCount > rows) throw new CorruptSegmentError(`${what} has ${nullCount} nulls in ${rows} rows`)
  let nulls: Uint8Array | undefined
  if (nullCount > 0) {
    section(`the null bitmap of ${what}`, nullsOffset, bitmapBytes(rows))
    nulls = bytes.subarray(nullsOffset, nullsOffset + bitmapBytes(rows))
  }
  section(`the data of ${what}`, dataOffset, dataLength)
  const expect = (len: number): void => {
    if (dataLength !== len) throw new CorruptSegmentError(`${what} has ${dataLength} data bytes, ${len} expected for ${rows} rows`)
  }
  const base = { name, type, nullCount, nulls }
  const numeric = type === 'number' || type === 'timestamp'
  switch (encoding) {
    case ENCODING.float64:
      if (!numeric) break
      expect(rows * 8)
      return { ...base, kind: 'float64', values: typed(bytes, dataOffset, rows, 8, (b, o, l) => new Float64Array(b, o, l)) }
    case ENCODING.int32:
      if (!numeric) break
      expect(rows * 4)
      return { ...base, kind: 'int32', values: typed(bytes, dataOffset, rows, 4, (b, o, l) => new Int32Array(b, o, l)) }
    case ENCODING.int64:
      if (type !== 'int64') break
      expect(rows * 8)
      return { ...base, kind: 'int64', values: typed(bytes, dataOffset, rows, 8, (b, o, l) => new BigInt64Array(b, o, l)) }
    case ENCODING.bits:
      if (type !== 'boolean') break
      expect(bitmapBytes(rows))
      return { ...base, kind: 'bits', bits: bytes.subarray(dataOffset, dataOffset + dataLength) }
    case ENCODING.dict8:
    case ENCODING.dict16:
    case ENCODING.dict32: {
      if (type !== 'string') break
      const width = encoding === ENCODING.dict8 ? 1 : encoding === ENCODING.dict16 ? 2 : 4
      expect(rows * width)
      if (dictCount === 0 && nullCount !== rows) throw new CorruptSegmentError(`${what} has an empty dictionary and non-null rows`)
      const indexes = width === 1
        ? bytes.subarray(dataOffset, dataOffset + rows)
        : width === 2 ? typed(bytes, dataOffset, rows, 2, (b, o, l) => new Uint16Array(b, o, l)) : typed(bytes, dataOffset, rows, 4, (b, o, l) => new Uint32Array(b, o, l))
      if (dictCount < 2 ** (8 * width)) {
        const limit = Math.max(dictCount, 1)
        for (let i = 0; i < rows; i++) if (indexes[i]! >= limit) throw new CorruptSegmentError(`${what}: row ${i} points past its dictionary of ${dictCount} strings`)
      }
      const strings = readStrings(bytes, buffer, dictOffset, dictCount, undefined, `the dictionary of ${what}`, section)
      const dictionary = new Array<string>(dictCount)
      for (let k = 0; k < dictCount; k++) dictionary[k] = stringAt(strings, k)
      return { ...base, kind: 'dict', dictionary, indexes }
    }
    case ENCODING.utf8: {
      if (type !== 'string') break
      const strings = readStrings(bytes, buffer, dataOffset, rows, dataLength, `the strings of ${what}`, section)
      return { ...base, kind: 'utf8', ...strings }
    }
  }
  throw new CorruptSegmentError(`${what} (${type}) has unknown encoding ${encoding}`)
}

/** u32 offsets [count + 1] then bytes; offsets non-decreasing and within the section. */
function readStrings (bytes: Uint8Array, buffer: Buffer, offset: number, count: number, sectionLength: number | undefined, what: string,
  section: (what: string, offset: number, len: number) => void): { offsets: Uint32Array, bytes: Buffer } {
  const head = 4 * (count + 1)
  section(what, offset, head)
  const offsets = typed(bytes, offset, count + 1, 4, (b, o, l) => new Uint32Array(b, o, l))
  if (offsets[0] !== 0) throw new CorruptSegmentError(`${what} do not start at offset 0`)
  for (let i = 0; i < count; i++) if (offsets[i + 1]! < offsets[i]!) throw new CorruptSegmentError(`${what}: offset ${i + 1} goes backwards`)
  const total = offsets[count]!
  if (sectionLength !== undefined && head + total !== sectionLength) throw new CorruptSegmentError(`${what} take ${head + total} bytes, the entry says ${sectionLength}`)
  section(what, offset + head, total)
  return { offsets, bytes: buffer.subarray(offset + head, offset + head + total) }
}

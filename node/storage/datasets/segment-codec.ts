/**
 * Encoding a dataset segment: rows (records keyed by column name) into the columnar layout
 * of segment-format.ts, with per-column statistics for pruning. The format was chosen by
 * measurement (test/bench/segments.ts): against Apache Arrow IPC and cbor-x record
 * batches it encodes fastest, is the smallest (dictionary strings, int32 numbers), and its
 * projected scans read only the columns they need, in place. Reading: segment-reader.ts.
 *
 * Statistics: min/max of the non-null values (strings by JS order, i.e. UTF-16 code
 * units; booleans false < true) and the null count; min/max are null when every value is.
 * A number or timestamp column holding NaN has min = max = NaN: NaN is unordered, so no
 * bound can be trusted, and pruning treats a NaN bound as "may match".
 *
 * Strings are stored as UTF-8: a lone surrogate (a string that is not well-formed UTF-16)
 * comes back as U+FFFD. A string column is a dictionary when at most half its values are
 * distinct (DICTIONARY_MAX_DISTINCT_SHARE), judged early: once 1024 distinct values make up
 * more than half of the values seen, the column is stored plainly without building the rest
 * of the dictionary.
 *
 * @example
 * const { bytes, rows, stats } = encodeSegment(schema, [{ store: 's1', amount: 9.5 }, { store: 's2', amount: null }])
 */
import type { ColumnType, DatasetSchema } from '../../api/dataset-schema.ts'
import type { ColumnStats } from './dataset-types.ts'
import { DICTIONARY_MAX_DISTINCT_SHARE, MAX_SEGMENT_ROWS, SEGMENT_FORMAT_VERSION, SEGMENT_MAGIC } from './constants.ts'
import { INT64_MAX, INT64_MIN, TYPE_DESCRIPTIONS, coerceValue, INVALID, validateSchema } from './dataset-schema.ts'
import { RowTypeError } from './errors.ts'
import { ENCODING, ENTRY_BYTES, HEADER_BYTES, LITTLE_ENDIAN, TYPE_CODES, align8, bitmapBytes, type Encoding } from './segment-format.ts'

/** An encoded segment: its bytes, its row count and its per-column statistics. */
export interface EncodedSegment {
  readonly bytes: Uint8Array
  readonly rows: number
  readonly stats: Record<string, ColumnStats>
}

/** Options of `encodeSegment`. */
export interface EncodeSegmentOptions {
  /** Index of the first row in the caller's input, so errors name the caller's row number. */
  readonly firstRow?: number
}

/** One column, encoded, before it is laid out. */
interface ColumnPart {
  readonly name: Uint8Array
  readonly type: ColumnType
  readonly encoding: Encoding
  readonly nullCount: number
  readonly nulls: Uint8Array | undefined
  readonly data: Uint8Array
  readonly dict: Uint8Array | undefined
  readonly dictCount: number
  readonly stats: ColumnStats
}

type Transposer = (rows: readonly unknown[], n: number, columns: unknown[][]) => number

const transposers = new Map<string, Transposer>()
const MAX_TRANSPOSERS = 256

/**
 * Compiles the loop that copies each row's values into one array per column (a fixed
 * shape, as thread-batch-codec.ts compiles its encoders). Returns -1, or the index of a
 * row that is not an object. A name Object.prototype has (`__proto__`, `toString`) is read
 * only as an own property.
 */
function transposerOf (names: readonly string[]): Transposer {
  const key = JSON.stringify(names)
  let t = transposers.get(key)
  if (t !== undefined) return t
  const lines = names.map((name, j) => {
    const k = JSON.stringify(name)
    const read = name in Object.prototype ? `(Object.prototype.hasOwnProperty.call(r, ${k}) ? r[${k}] : undefined)` : `r[${k}]`
    return `    c${j}[i] = ${read}`
  })
  const body = [
    ...names.map((_n, j) => `  const c${j} = columns[${j}]`),
    '  for (let i = 0; i < n; i++) {',
    '    const r = rows[i]',
    '    if (typeof r !== "object" || r === null) return i',
    ...lines,
    '  }',
    '  return -1'
  ].join('\n')
  // eslint-disable-next-line no-new-func -- a loop compiled per schema; names enter only as JSON string literals
  t = new Function('rows', 'n', 'columns', body) as Transposer
  if (transposers.size < MAX_TRANSPOSERS) transposers.set(key, t)
  return t
}

function setNull (nulls: Uint8Array, i: number): void {
  nulls[i >>> 3]! |= 1 << (i & 7)
}

function bytesOf (a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/** Numbers (or timestamps): float64, or int32 when every non-null value is a 32-bit integer. */
function encodeNumbers (values: unknown[], n: number, name: string, type: 'number' | 'timestamp', firstRow: number): Omit<ColumnPart, 'name'> {
  const f = new Float64Array(n)
  let nulls: Uint8Array | undefined
  let nullCount = 0
  let min = Infinity
  let max = -Infinity
  let nan = false
  let ints = true
  const timestamp = type === 'timestamp'
  for (let i = 0; i < n; i++) {
    let v = values[i]
    if (typeof v !== 'number' || (timestamp && !Number.isFinite(v))) {
      if (v === null || v === undefined) {
        nulls ??= new Uint8Array(bitmapBytes(n))
        setNull(nulls, i)
        nullCount++
        continue
      }
      const c = coerceValue(type, v)
      if (c === INVALID || c === null) throw new RowTypeError(name, TYPE_DESCRIPTIONS[type], v, firstRow + i)
      v = c
    }
    const x = v as number
    f[i] = x
    if (x < min) min = x
    if (x > max) max = x
    if (x !== x) nan = true
    if (ints && ((x | 0) !== x || (x === 0 && 1 / x < 0))) ints = false
  }
  let data: Uint8Array = bytesOf(f)
  let encoding: Encoding = ENCODING.float64
  if (ints) {
    const a = new Int32Array(n)
    for (let i = 0; i < n; i++) a[i] = f[i]!
    data = bytesOf(a)
    encoding = ENCODING.int32
  }
  const stats: ColumnStats = nullCount === n ? { min: null, max: null, nulls: n } : nan ? { min: NaN, max: NaN, nulls: nullCount } : { min, max, nulls: nullCount }
  return { type, encoding, nullCount, nulls, data, dict: undefined, dictCount: 0, stats }
}

function encodeInt64 (values: unknown[], n: number, name: string, firstRow: number): Omit<ColumnPart, 'name'> {
  const a = new BigInt64Array(n)
  let nulls: Uint8Array | undefined
  let nullCount = 0
  let min: bigint | null = null
  let max: bigint | null = null
  for (let i = 0; i < n; i++) {
    let v = values[i]
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
      if (v === null || v === undefined) {
        nulls ??= new Uint8Array(bitmapBytes(n))
        setNull(nulls, i)
        nullCount++
        continue
      }
      const c = coerceValue('int64', v)
      if (c === INVALID || c === null) throw new RowTypeError(name, TYPE_DESCRIPTIONS.int64, v, firstRow + i)
      v = c
    }
    const x = v as bigint
    a[i] = x
    if (min === null || x < min) min = x
    if (max === null || x > max) max = x
  }
  return { type: 'int64', encoding: ENCODING.int64, nullCount, nulls, data: bytesOf(a), dict: undefined, dictCount: 0, stats: { min, max, nulls: nullCount } }
}

function encodeBooleans (values: unknown[], n: number, name: string, firstRow: number): Omit<ColumnPart, 'name'> {
  const bits = new Uint8Array(bitmapBytes(n))
  let nulls: Uint8Array | undefined
  let nullCount = 0
  let anyTrue = false
  let anyFalse = false
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === true) { bits[i >>> 3]! |= 1 << (i & 7); anyTrue = true } else if (v === false) anyFalse = true
    else if (v === null || v === undefined) {
      nulls ??= new Uint8Array(bitmapBytes(n))
      setNull(nulls, i)
      nullCount++
    } else throw new RowTypeError(name, TYPE_DESCRIPTIONS.boolean, v, firstRow + i)
  }
  const stats: ColumnStats = nullCount === n ? { min: null, max: null, nulls: n } : { min: !anyFalse, max: anyTrue, nulls: nullCount }
  return { type: 'boolean', encoding: ENCODING.bits, nullCount, nulls, data: bits, dict: undefined, dictCount: 0, stats }
}

/** Strings one after the other: u32 offsets [count + 1] (relative to the bytes), then UTF-8 bytes. */
function packStrings (strings: ArrayLike<unknown>, count: number, nulls: Uint8Array | undefined): Uint8Array {
  let units = 0
  for (let i = 0; i < count; i++) {
    const s = strings[i]
    if (typeof s === 'string') units += s.length
  }
  const head = 4 * (count + 1)
  // a UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, two units, is 4)
  const scratch = Buffer.allocUnsafe(head + 3 * units)
  const offsets = new Uint32Array(count + 1)
  let at = 0
  for (let i = 0; i < count; i++) {
    offsets[i] = at
    if (nulls !== undefined && ((nulls[i >>> 3]! >>> (i & 7)) & 1) === 1) continue
    at += scratch.write(strings[i] as string, head + at)
  }
  offsets[count] = at
  scratch.set(bytesOf(offsets), 0)
  return new Uint8Array(scratch.buffer, scratch.byteOffset, head + at)
}

/** Distinct strings after which a column where most values so far differ is stored plainly. */
const EARLY_PLAIN_AFTER = 1024

function encodeStrings (values: unknown[], n: number, name: string, firstRow: number): Omit<ColumnPart, 'name'> {
  const limit = Math.max(16, Math.floor(n * DICTIONARY_MAX_DISTINCT_SHARE))
  const index = new Map<string, number>()
  const dictionary: string[] = []
  const indexes = new Uint32Array(n)
  let nulls: Uint8Array | undefined
  let nullCount = 0
  let plain = false
  let min: string | null = null
  let max: string | null = null
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v !== 'string') {
      if (v === null || v === undefined) {
        nulls ??= new Uint8Array(bitmapBytes(n))
        setNull(nulls, i)
        nullCount++
        continue
      }
      throw new RowTypeError(name, TYPE_DESCRIPTIONS.string, v, firstRow + i)
    }
    if (plain) {
      if (min === null || v < min) min = v
      if (max === null || v > max) max = v
      continue
    }
    let k = index.get(v)
    if (k === undefined) {
      // past the limit, or clearly headed there (most of the first values differ): plain
      if (dictionary.length >= limit || (dictionary.length >= EARLY_PLAIN_AFTER && dictionary.length > i * DICTIONARY_MAX_DISTINCT_SHARE)) {
        // too many distinct values: stored plainly; the statistics so far come from the dictionary
        plain = true
        for (const s of dictionary) {
          if (min === null || s < min) min = s
          if (max === null || s > max) max = s
        }
        if (min === null || v < min) min = v
        if (max === null || v > max) max = v
        continue
      }
      k = dictionary.length
      dictionary.push(v)
      index.set(v, k)
    }
    indexes[i] = k
  }
  if (plain) {
    return { type: 'string', encoding: ENCODING.utf8, nullCount, nulls, data: packStrings(values, n, nulls), dict: undefined, dictCount: 0, stats: { min, max, nulls: nullCount } }
  }
  for (const s of dictionary) {
    if (min === null || s < min) min = s
    if (max === null || s > max) max = s
  }
  let data: Uint8Array
  let encoding: Encoding
  if (dictionary.length <= 0x100) {
    data = Uint8Array.from(indexes)
    encoding = ENCODING.dict8
  } else if (dictionary.length <= 0x10000) {
    data = bytesOf(Uint16Array.from(indexes))
    encoding = ENCODING.dict16
  } else {
    data = bytesOf(indexes)
    encoding = ENCODING.dict32
  }
  return { type: 'string', encoding, nullCount, nulls, data, dict: packStrings(dictionary, dictionary.length, undefined), dictCount: dictionary.length, stats: { min, max, nulls: nullCount } }
}

/**
 * Encodes rows as one segment. `undefined` or a missing key is null; int64 columns take
 * safe integers too, timestamp columns valid Dates (see `coerceValue`).
 *
 * @throws RowTypeError naming the row (counted from `options.firstRow`), column, expected type and value
 * @throws InvalidSchemaError when the schema is not valid
 * @throws RangeError when there are more than MAX_SEGMENT_ROWS rows
 */
export function encodeSegment (schema: DatasetSchema, rows: readonly unknown[], options: EncodeSegmentOptions = {}): EncodedSegment {
  if (!LITTLE_ENDIAN) throw new Error('Dataset segments need a little-endian platform')
  validateSchema(schema)
  const n = rows.length
  if (n > MAX_SEGMENT_ROWS) throw new RangeError(`A segment holds at most ${MAX_SEGMENT_ROWS} rows, got ${n}`)
  const firstRow = options.firstRow ?? 0
  const names = schema.columns.map(c => c.name)
  const columns = names.map(() => new Array<unknown>(n))
  const bad = transposerOf(names)(rows, n, columns)
  if (bad >= 0) throw new RowTypeError('(row)', 'a record', rows[bad], firstRow + bad)
  const encoder = new TextEncoder()
  const parts: ColumnPart[] = schema.columns.map(({ name, type }, j) => {
    const values = columns[j]!
    let part: Omit<ColumnPart, 'name'>
    switch (type) {
      case 'number':
      case 'timestamp': part = encodeNumbers(values, n, name, type, firstRow); break
      case 'int64': part = encodeInt64(values, n, name, firstRow); break
      case 'boolean': part = encodeBooleans(values, n, name, firstRow); break
      case 'string': part = encodeStrings(values, n, name, firstRow); break
    }
    return { ...part, name: encoder.encode(name) }
  })
  const stats: Record<string, ColumnStats> = {}
  parts.forEach((p, j) => { Object.defineProperty(stats, names[j]!, { value: p.stats, enumerable: true, writable: true, configurable: true }) })
  return { bytes: layOut(parts, n), rows: n, stats }
}

/** Places the header, entries and sections in one buffer. */
function layOut (parts: readonly ColumnPart[], n: number): Uint8Array {
  let at = align8(HEADER_BYTES + ENTRY_BYTES * parts.length)
  const place = (len: number): number => { const o = at; at = align8(at + len); return o }
  const nameAt = parts.map(p => place(p.name.byteLength))
  const sections = parts.map(p => ({
    nulls: p.nulls === undefined ? 0 : place(p.nulls.byteLength),
    data: place(p.data.byteLength),
    dict: p.dict === undefined ? 0 : place(p.dict.byteLength)
  }))
  const total = at
  if (total > 0xffffffff) throw new RangeError(`A segment is at most 4 GiB, this one would be ${total} bytes`)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  view.setUint32(0, SEGMENT_MAGIC, true)
  view.setUint8(4, SEGMENT_FORMAT_VERSION)
  view.setUint16(6, parts.length, true)
  view.setUint32(8, n, true)
  view.setUint32(12, total, true)
  parts.forEach((p, j) => {
    const e = HEADER_BYTES + ENTRY_BYTES * j
    const s = sections[j]!
    view.setUint8(e, TYPE_CODES[p.type])
    view.setUint8(e + 1, p.encoding)
    view.setUint16(e + 2, p.name.byteLength, true)
    view.setUint32(e + 4, nameAt[j]!, true)
    view.setUint32(e + 8, p.nullCount, true)
    view.setUint32(e + 12, s.nulls, true)
    view.setUint32(e + 16, s.data, true)
    view.setUint32(e + 20, p.data.byteLength, true)
    view.setUint32(e + 24, s.dict, true)
    view.setUint32(e + 28, p.dictCount, true)
    out.set(p.name, nameAt[j]!)
    if (p.nulls !== undefined) out.set(p.nulls, s.nulls)
    out.set(p.data, s.data)
    if (p.dict !== undefined) out.set(p.dict, s.dict)
  })
  return out
}


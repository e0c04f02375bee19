/**
 * The fast path of typed CSV reading: a row decoded straight from the bytes of the file
 * buffer, without making the line a string, splitting it into field strings and parsing
 * those (which cost most of an import's time). It takes only what it reads exactly as the
 * text path does (typed-values.ts): plain decimals of up to 15 digits (an integer of at most
 * 15 digits divided by a power of ten is correctly rounded, the same double `Number()`
 * gives: Clinger's fast path), integer epoch milliseconds, `YYYY-MM-DD` dates and
 * `YYYY-MM-DD[T ]hh:mm:ss[.sss][Z]` date-times that need no calendar check, and strings.
 * Any other field is converted from its text by the text path's own converter, and a row
 * with a quote or the wrong number of fields is left to the text path whole (`null`), so
 * values and error messages are the same either way.
 *
 * @example
 * const d = new CsvBytesDecoder(['id', 'amount'], Uint8Array.of(1, 1), Int32Array.of(0, 1), 2, 0x2c)
 * d.decode(Buffer.from('7,2.5'), 0, 5)   // { id: 7, amount: 2.5 }
 */
import { TEXT_CONVERTERS } from './typed-values.ts'
import { literalKey } from './row-factory.ts'

type Row = Record<string, unknown>

const QUOTE = 0x22
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const COLON = 0x3a
const DAY_MS = 86_400_000
/** Exact powers of ten (all below 2^53, so exactly representable). */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]
/** Most digits a fast-path number has: below 2^53, so the integer is exact. */
const MAX_DIGITS = 15
/** Returned by the field parsers when the text path must convert the field. */
const SLOW = Symbol('slow')

/** Longest string field looked up in a column's cache of recent strings. */
const CACHED_MAX_BYTES = 24
/** Slots of a column's string cache (a power of two). */
const CACHE_SLOTS = 512
/** Lookups after which a column whose strings mostly miss the cache stops using it. */
const CACHE_TRIAL = 4096

/**
 * Recent short ASCII strings of one column by a hash of their bytes: a column of few
 * distinct values (codes, flags, categories) gets the same string objects again instead of
 * a new string per field, which saves the allocation and lets the segment encoder's
 * dictionary find them by their cached hash. A column of mostly distinct values stops
 * looking after a trial.
 */
class StringCache {
  readonly #slots: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined)
  #lookups = 0
  #misses = 0
  #off = false

  /** The ASCII string of `buf[s, e)`. */
  get (buf: Buffer & Slicers, s: number, e: number): string {
    if (this.#off || e - s > CACHED_MAX_BYTES) return buf.latin1Slice(s, e)
    const trial = this.#lookups < CACHE_TRIAL
    if (trial) this.#lookups++
    let h = e - s
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + buf[i]!) | 0
    const slot = (h ^ (h >>> 9)) & (CACHE_SLOTS - 1)
    const cached = this.#slots[slot]
    if (cached !== undefined && cached.length === e - s) {
      let i = 0
      while (i < cached.length && cached.charCodeAt(i) === buf[s + i]) i++
      if (i === cached.length) return cached
    }
    const v = buf.latin1Slice(s, e)
    this.#slots[slot] = v
    // more than half of the trial's lookups missed: a column of mostly distinct strings
    if (trial && ++this.#misses * 2 > CACHE_TRIAL) this.#off = true
    return v
  }
}

/** Node's Buffer string slicers (no argument checks, unlike `toString`). */
interface Slicers {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
}

/** Builds a record from one value per column (an object literal compiled per schema). */
function compileRow (names: readonly string[]): (v: unknown[]) => Row {
  // eslint-disable-next-line no-new-func -- a record literal compiled per schema (row-factory.ts)
  return new Function('v', `return { ${names.map((n, j) => `${literalKey(n)}: v[${j}]`).join(', ')} }`) as (v: unknown[]) => Row
}

/** A plain decimal `-?d+(.d+)?` of at most 15 digits, else SLOW. */
function fastNumber (buf: Uint8Array, s: number, e: number): number | typeof SLOW {
  let i = s
  const negative = buf[i] === MINUS
  if (negative) i++
  if (i === e) return SLOW
  let m = 0
  let digits = 0
  let scale = -1
  for (; i < e; i++) {
    const c = buf[i]! - ZERO
    if (c >= 0 && c <= 9) {
      m = m * 10 + c
      digits++
      if (scale >= 0) scale++
    } else if (c === DOT - ZERO && scale < 0 && digits > 0 && i + 1 < e) {
      scale = 0
    } else return SLOW
  }
  if (digits > MAX_DIGITS) return SLOW
  const v = scale > 0 ? m / POW10[scale]! : m
  return negative ? -v : v
}

/** An integer `-?d+` of at most 15 digits as an int64, else SLOW. */
function fastInt64 (buf: Uint8Array, s: number, e: number): bigint | typeof SLOW {
  let i = s
  const negative = buf[i] === MINUS
  if (negative) i++
  if (i === e || e - i > MAX_DIGITS) return SLOW
  let m = 0
  for (; i < e; i++) {
    const c = buf[i]! - ZERO
    if (c < 0 || c > 9) return SLOW
    m = m * 10 + c
  }
  return BigInt(negative ? -m : m)
}

/** `count` digits at `i` as a number, or -1 when one is not a digit. */
function digitsAt (buf: Uint8Array, i: number, count: number): number {
  let v = 0
  for (let k = 0; k < count; k++) {
    const c = buf[i + k]! - ZERO
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/**
 * Epoch milliseconds of integer text (at most 15 digits), of `YYYY-MM-DD` or of
 * `YYYY-MM-DD[T ]hh:mm:ss[.sss][Z]` (UTC, as the text path reads text without a zone); days
 * past the 28th go to the text path, which rolls them over as Date.parse does.
 */
function fastTimestamp (buf: Uint8Array, s: number, e: number): number | typeof SLOW {
  const n = e - s
  if (n !== 10 && n !== 19 && n !== 20 && n !== 23 && n !== 24) {
    if (n > MAX_DIGITS) return SLOW
    let i = s
    const negative = buf[i] === MINUS
    if (negative) i++
    if (i === e) return SLOW
    let m = 0
    for (; i < e; i++) {
      const c = buf[i]! - ZERO
      if (c < 0 || c > 9) return SLOW
      m = m * 10 + c
    }
    return negative ? -m : m
  }
  if (buf[s + 4] !== MINUS || buf[s + 7] !== MINUS) {
    // ten or more characters without date dashes: epoch milliseconds, or the text path
    if (n > MAX_DIGITS) return SLOW
    const v = digitsAt(buf, s, n)
    return v < 0 ? SLOW : v
  }
  const year = digitsAt(buf, s, 4)
  const month = digitsAt(buf, s + 5, 2)
  const day = digitsAt(buf, s + 8, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28) return SLOW
  let ms = daysFromCivil(year, month, day) * DAY_MS
  if (n === 10) return ms
  const t = buf[s + 10]
  if ((t !== 0x54 && t !== 0x20) || buf[s + 13] !== COLON || buf[s + 16] !== COLON) return SLOW
  const hh = digitsAt(buf, s + 11, 2)
  const mm = digitsAt(buf, s + 14, 2)
  const ss = digitsAt(buf, s + 17, 2)
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return SLOW
  ms += ((hh * 60 + mm) * 60 + ss) * 1000
  let i = s + 19
  if (n >= 23) {
    if (buf[i] !== DOT) return SLOW
    const frac = digitsAt(buf, i + 1, 3)
    if (frac < 0) return SLOW
    ms += frac
    i += 4
  }
  if (i < e) {
    if (buf[i] !== 0x5a || i + 1 !== e) return SLOW
  }
  return ms
}

/** Typed CSV rows from bytes; `decode` returns null for a row the text path must decode. */
export class CsvBytesDecoder {
  readonly #names: readonly string[]
  readonly #codes: Uint8Array
  /** The field of each column. */
  readonly #index: Int32Array
  readonly #width: number
  readonly #delimiter: number
  readonly #starts: Int32Array
  readonly #ends: Int32Array
  readonly #values: unknown[]
  readonly #row: (v: unknown[]) => Row
  readonly #strings: StringCache[]

  /**
   * `names`/`codes`: the schema's columns and type codes (TYPE_CODE); `index[j]`: the field
   * of column j; `width`: fields per row; `delimiter`: the delimiter's one byte.
   */
  constructor (names: readonly string[], codes: Uint8Array, index: Int32Array, width: number, delimiter: number) {
    this.#names = names
    this.#codes = codes
    this.#index = index
    this.#width = width
    this.#delimiter = delimiter
    this.#starts = new Int32Array(width)
    this.#ends = new Int32Array(width)
    this.#values = new Array<unknown>(names.length).fill(null)
    this.#row = compileRow(names)
    this.#strings = names.map(() => new StringCache())
  }

  /**
   * The record of the row `buf[start, stop)`, or null when the text path must decode it (a
   * quote, or not `width` fields).
   * @throws ColumnValueError as the text path does, for a field that does not convert
   */
  decode (buf: Buffer, start: number, stop: number): Row | null {
    const starts = this.#starts
    const ends = this.#ends
    const width = this.#width
    const delimiter = this.#delimiter
    let f = 0
    let ascii = 0
    starts[0] = start
    for (let i = start; i < stop; i++) {
      const c = buf[i]!
      ascii |= c
      if (c === delimiter) {
        ends[f] = i
        if (++f === width) return null
        starts[f] = i + 1
      } else if (c === QUOTE) return null
    }
    if (f !== width - 1) return null
    ends[f] = stop
    const values = this.#values
    const codes = this.#codes
    const index = this.#index
    const slicers = buf as Buffer & Slicers
    for (let j = 0; j < codes.length; j++) {
      const k = index[j]!
      const s = starts[k]!
      const e = ends[k]!
      if (s === e) {
        values[j] = null
        continue
      }
      const code = codes[j]!
      let v: unknown = SLOW
      if (code === 0) v = ascii < 0x80 ? this.#strings[j]!.get(slicers, s, e) : slicers.utf8Slice(s, e)
      else if (code === 1) v = fastNumber(buf, s, e)
      else if (code === 4) v = fastTimestamp(buf, s, e)
      else if (code === 2) v = fastInt64(buf, s, e)
      if (v === SLOW) v = TEXT_CONVERTERS[code]!(slicers.utf8Slice(s, e), this.#names[j]!)
      values[j] = v
    }
    return this.#row(values)
  }
}

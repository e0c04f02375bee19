/**
 * Converting field text (CSV) and JSON values (JSON Lines) to the column types of a
 * DatasetSchema (node/api/dataset-schema.ts): `number` a float64, `int64` a bigint,
 * `boolean`, `timestamp` epoch milliseconds, `string`. An empty CSV field and a missing or
 * null JSON value are null. A value that does not convert throws a ColumnValueError naming
 * the column and the value; the reader adds the file and line.
 *
 * No regular expression runs per field: each check is a character test or one built-in
 * parse (Number, BigInt, Date.parse).
 *
 * @example
 * convertText('int64', '42', 'qty')               // 42n
 * convertText('timestamp', '2024-01-01T00:00:00Z', 'ts')  // 1704067200000
 * convertText('number', 'abc', 'amount')          // throws: column 'amount': 'abc' is not a number
 */
import type { ColumnType } from '../../node/api/dataset-schema.ts'
import { ColumnValueError } from './errors.ts'

/** A column's type as a small integer: the per-field switch stays monomorphic. */
export const TYPE_CODE = { string: 0, number: 1, int64: 2, boolean: 3, timestamp: 4 } as const satisfies Record<ColumnType, number>

const MINUS = 0x2d
const PLUS = 0x2b
const ZERO = 0x30
const NINE = 0x39

type Value = string | number | bigint | boolean | null

/** The converter of each type code: field text (`''` is null) → value; compiled decoders call these. */
export const TEXT_CONVERTERS: ReadonlyArray<(text: string, column: string) => Value> = [
  text => text.length === 0 ? null : text,
  (text, column) => text.length === 0 ? null : parseNumber(text, column),
  (text, column) => text.length === 0 ? null : parseInt64(text, column),
  (text, column) => text.length === 0 ? null : parseBoolean(text, column),
  (text, column) => text.length === 0 ? null : parseTimestamp(text, column)
]

/** The value of CSV field `text` in a column of `type` (`''` is null). */
export function convertText (type: ColumnType, text: string, column: string): string | number | bigint | boolean | null {
  return convertCode(TYPE_CODE[type], text, column)
}

/** `convertText` by type code (the decoders' hot path). */
export function convertCode (code: number, text: string, column: string): string | number | bigint | boolean | null {
  if (text.length === 0) return null
  switch (code) {
    case 0: return text
    case 1: return parseNumber(text, column)
    case 2: return parseInt64(text, column)
    case 3: return parseBoolean(text, column)
    default: return parseTimestamp(text, column)
  }
}

/**
 * The value of a JSON value `v` in a column of `type`: values of the column's own JSON
 * type pass (checked), strings are converted as CSV text is, an integral number is a valid
 * int64 (within ±2^53, beyond that JSON has already lost digits: write it as a string),
 * 1/0 are valid booleans, and numbers or booleans become the text of a string column.
 */
export function convertJson (code: number, v: unknown, column: string): string | number | bigint | boolean | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return code === 0 ? v : convertCode(code, v, column)
  switch (code) {
    case 0:
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
      break
    case 1:
      if (typeof v === 'number') return v
      break
    case 2:
      if (typeof v === 'number') {
        if (Number.isSafeInteger(v)) return BigInt(v)
        throw new ColumnValueError(column, v, Number.isInteger(v) ? 'is beyond ±2^53 as a JSON number (write it as a string to keep its digits)' : 'is not an integer')
      }
      if (typeof v === 'bigint') return v
      break
    case 3:
      if (typeof v === 'boolean') return v
      if (v === 1 || v === 0) return v === 1
      break
    default:
      if (typeof v === 'number') {
        if (Number.isFinite(v)) return v
        throw new ColumnValueError(column, v, 'is not a timestamp')
      }
  }
  throw new ColumnValueError(column, v, `is not ${ARTICLE[code]}`)
}

const ARTICLE = ['a string', 'a number', 'an int64 (integer)', 'a boolean (true/false/1/0)', 'a timestamp (epoch ms or ISO-8601)']

function parseNumber (text: string, column: string): number {
  // Number() trims spaces and reads '' as 0: refuse padding
  if (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32) throw new ColumnValueError(column, text, 'is not a number')
  const n = Number(text)
  if (n !== n && text !== 'NaN') throw new ColumnValueError(column, text, 'is not a number')
  return n
}

function parseInt64 (text: string, column: string): bigint {
  const n = text.length
  let i = text.charCodeAt(0) === MINUS || text.charCodeAt(0) === PLUS ? 1 : 0
  if (i === n) throw new ColumnValueError(column, text, 'is not an int64 (integer)')
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < ZERO || c > NINE) throw new ColumnValueError(column, text, 'is not an int64 (integer)')
  }
  // short ones through a double (exact below 2^53): BigInt(string) is several times slower
  const v = n <= 15 ? BigInt(Number(text)) : BigInt(text)
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw new ColumnValueError(column, text, 'is out of the int64 range')
  return v
}

function parseBoolean (text: string, column: string): boolean {
  switch (text) {
    case 'true': case '1': case 'TRUE': case 'True': return true
    case 'false': case '0': case 'FALSE': case 'False': return false
  }
  throw new ColumnValueError(column, text, 'is not a boolean (true/false/1/0)')
}

/**
 * Epoch milliseconds from an integer, or from ISO-8601 text (`2024-01-31`,
 * `2024-01-31T12:00:00.5Z`, `…+02:00`, or with a space for the `T` as SQL writes it). Text
 * without a zone is UTC (Date.parse would read a date-time without one as local time).
 */
function parseTimestamp (text: string, column: string): number {
  const n = text.length
  const first = text.charCodeAt(0)
  let digits = true
  for (let i = first === MINUS ? 1 : 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < ZERO || c > NINE) {
      digits = false
      break
    }
  }
  if (digits && n > (first === MINUS ? 1 : 0)) return Number(text)
  // ISO-8601 starts with a 4-digit year and '-'; Date.parse alone would accept 'March 7'
  if (n >= 10 && text.charCodeAt(4) === MINUS && isDigit(text.charCodeAt(0)) && isDigit(text.charCodeAt(3))) {
    let iso = text
    if (n > 10 && text.charCodeAt(10) === 0x20) iso = text.slice(0, 10) + 'T' + text.slice(11)
    if (n > 10 && !hasZone(iso)) iso += 'Z'
    const ms = Date.parse(iso)
    if (ms === ms) return ms
  }
  throw new ColumnValueError(column, text, 'is not a timestamp (epoch ms or ISO-8601)')
}

function isDigit (c: number): boolean {
  return c >= ZERO && c <= NINE
}

/** Whether ISO date-time text ends in a zone: `Z`, or `+hh:mm` / `-hh:mm` / `+hhmm` / `+hh` after the time. */
function hasZone (iso: string): boolean {
  const last = iso.charCodeAt(iso.length - 1)
  if (last === 0x5a || last === 0x7a) return true
  // a sign after the 'T' (index 10) and the hour (13) belongs to a zone
  for (let i = iso.length - 1; i > 13; i--) {
    const c = iso.charCodeAt(i)
    if (c === PLUS || c === MINUS) return true
  }
  return false
}

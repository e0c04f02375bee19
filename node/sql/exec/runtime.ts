/**
 * The helpers compiled SQL expressions call (as `R.name(...)`): strings by code point,
 * LIKE matchers, dates in UTC epoch milliseconds, number formatting and parsing, all as
 * DuckDB does them. Arguments are never NULL here: the generated code checks first.
 *
 * @example
 * R.substring('hello', 2, 3)     // 'ell'
 * R.likeMatcher('a\\%%', '\\', false)('a%bc') // true
 */
import type { IntervalValue } from '../sql-types.ts'
import { SqlConversionError, SqlFunctionError, SqlOverflowError } from './errors.ts'

const DAY = 86_400_000
const INT32_MAX = 2147483647
const INT32_MIN = -2147483648
const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

/** Whether a string holds surrogate pairs (then code points differ from code units). */
const hasSurrogates = (s: string): boolean => /[\uD800-\uDFFF]/.test(s)
const codePoints = (s: string): string[] => Array.from(s)

/** Most LIKE patterns kept compiled. */
const MAX_PATTERNS = 1024
const patterns = new Map<string, (s: string) => boolean>()

function likeMatcher (pattern: string, escape: string | null, ci: boolean): (s: string) => boolean {
  const id = `${ci ? 'i' : 'c'}${escape ?? ''}\u0000${pattern}`
  let m = patterns.get(id)
  if (m !== undefined) return m
  m = buildMatcher(pattern, escape, ci)
  if (patterns.size >= MAX_PATTERNS) patterns.delete(patterns.keys().next().value!)
  patterns.set(id, m)
  return m
}

function buildMatcher (pattern: string, escape: string | null, ci: boolean): (s: string) => boolean {
  if (escape !== null && [...escape].length > 1) throw new SqlFunctionError(`LIKE escape must be one character, got '${escape}'`)
  // pieces: literal text and wildcards
  const parts: ({ lit: string } | '%' | '_')[] = []
  let lit = ''
  const chars = codePoints(pattern)
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    if (escape !== null && escape !== '' && c === escape) {
      const next = chars[++i]
      if (next === undefined) throw new SqlFunctionError(`LIKE pattern '${pattern}' ends with its escape character`)
      lit += next
    } else if (c === '%' || c === '_') {
      if (lit !== '') parts.push({ lit })
      lit = ''
      parts.push(c)
    } else lit += c
  }
  if (lit !== '') parts.push({ lit })
  if (!ci) {
    const only = (p: unknown): p is { lit: string } => typeof p === 'object'
    if (parts.length === 0) return s => s === ''
    if (parts.length === 1 && only(parts[0])) { const t = parts[0].lit; return s => s === t }
    if (parts.length === 1 && parts[0] === '%') return () => true
    if (parts.length === 2 && only(parts[0]) && parts[1] === '%') { const t = parts[0].lit; return s => s.startsWith(t) }
    if (parts.length === 2 && parts[0] === '%' && only(parts[1])) { const t = parts[1].lit; return s => s.endsWith(t) }
    if (parts.length === 3 && parts[0] === '%' && only(parts[1]) && parts[2] === '%') { const t = parts[1].lit; return s => s.includes(t) }
  }
  const source = parts.map(p => p === '%' ? '[^]*' : p === '_' ? '.' : p.lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')).join('')
  const re = new RegExp(`^${source}$`, ci ? 'isu' : 'su')
  return s => re.test(s)
}

function substring (s: string, offset: number, length?: number): string {
  if (!hasSurrogates(s)) return slice(s.length, offset, length, (a, b) => s.slice(a, b))
  const cp = codePoints(s)
  return slice(cp.length, offset, length, (a, b) => cp.slice(a, b).join(''))
}

/**
 * DuckDB's substring over `n` characters: 1-based (offset 0 is just before the first
 * character), a negative offset counts from the end, a negative length takes the
 * characters before the offset; the range is clipped to the string after it is placed.
 */
function slice (n: number, offset: number, length: number | undefined, take: (a: number, b: number) => string): string {
  let start = offset >= 0 ? offset - 1 : n + offset
  let end = start + (length ?? Infinity)
  if (end < start) [start, end] = [end, start]
  start = Math.max(0, start)
  end = Math.min(n, end)
  return start >= end ? '' : take(start, end)
}

function length (s: string): bigint {
  return BigInt(hasSurrogates(s) ? codePoints(s).length : s.length)
}

function left (s: string, n: number): string {
  const cp = codePoints(s)
  return (n >= 0 ? cp.slice(0, n) : cp.slice(0, Math.max(0, cp.length + n))).join('')
}

function right (s: string, n: number): string {
  const cp = codePoints(s)
  return (n >= 0 ? cp.slice(Math.max(0, cp.length - n)) : cp.slice(Math.min(cp.length, -n))).join('')
}

function pad (s: string, n: number, fill: string, atStart: boolean): string {
  const cp = codePoints(s)
  if (n <= 0) return ''
  if (cp.length >= n) return cp.slice(0, n).join('')
  const f = codePoints(fill)
  if (f.length === 0) return s
  const padding: string[] = []
  for (let i = 0; padding.length < n - cp.length; i++) padding.push(f[i % f.length]!)
  return atStart ? padding.join('') + s : s + padding.join('')
}

function trim (s: string, chars: string | undefined, start: boolean, end: boolean): string {
  const set = new Set(codePoints(chars ?? ' '))
  const cp = codePoints(s)
  let a = 0
  let b = cp.length
  if (start) while (a < b && set.has(cp[a]!)) a++
  if (end) while (b > a && set.has(cp[b - 1]!)) b--
  return cp.slice(a, b).join('')
}

function position (s: string, sub: string): bigint {
  const at = s.indexOf(sub)
  if (at < 0) return 0n
  return BigInt(hasSurrogates(s) ? codePoints(s.slice(0, at)).length + 1 : at + 1)
}

function reverse (s: string): string {
  return codePoints(s).reverse().join('')
}

/** Rounds half away from zero to `digits` decimals (negative: tens, hundreds, …), as DuckDB. */
function roundDouble (x: number, digits: number): number {
  const away = (v: number): number => v < 0 ? -Math.round(-v) : Math.round(v)
  if (digits === 0) return away(x)
  if (digits < 0) {
    const m = 10 ** -digits
    return away(x / m) * m
  }
  const m = 10 ** digits
  const r = away(x * m) / m
  return Number.isFinite(r) ? r : x
}

function roundInteger (x: number, digits: number): number {
  if (digits >= 0) return x
  const m = 10 ** -digits
  return (x < 0 ? -Math.round(-x / m) : Math.round(x / m)) * m
}

function roundBigint (x: bigint, digits: number): bigint {
  if (digits >= 0) return x
  const m = 10n ** BigInt(-digits)
  const half = m / 2n
  const neg = x < 0n
  const a = neg ? -x : x
  const r = ((a + half) / m) * m
  return neg ? -r : r
}

function sqrt (x: number): number {
  if (x < 0) throw new SqlFunctionError('Cannot take square root of a negative number')
  return Math.sqrt(x)
}

function ln (x: number): number {
  if (x === 0) throw new SqlFunctionError('Cannot take logarithm of zero')
  if (x < 0) throw new SqlFunctionError('Cannot take logarithm of a negative number')
  return Math.log(x)
}

function log10 (x: number): number {
  ln(x)
  return Math.log10(x)
}

function overflow32 (what: string, a: unknown, b: unknown): never {
  throw new SqlOverflowError(`Overflow in ${what} of INTEGER (${String(a)}${b === undefined ? '' : `, ${String(b)}`})`)
}

/** `r` as a BIGINT result of `what`, or an overflow error. */
function i64 (r: bigint, what: string, a: bigint, b: bigint): bigint {
  if (r > INT64_MAX || r < INT64_MIN) throw new SqlOverflowError(`Overflow in ${what} of BIGINT (${a}, ${b})`)
  return r
}

// --- dates, UTC -------------------------------------------------------------------------

/** Year, month (1-12), day of an epoch day (Howard Hinnant's civil_from_days). */
function civil (days: number): [number, number, number] {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

/** Epoch day of a civil date (days_from_civil). */
function daysFrom (y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const dayOf = (ms: number): number => Math.floor(ms / DAY)
const msOfDay = (ms: number): number => ms - dayOf(ms) * DAY

function datePart (part: string, ms: number): bigint {
  switch (part) {
    case 'year': return BigInt(civil(dayOf(ms))[0])
    case 'quarter': return BigInt(Math.floor((civil(dayOf(ms))[1] - 1) / 3) + 1)
    case 'month': return BigInt(civil(dayOf(ms))[1])
    case 'day': return BigInt(civil(dayOf(ms))[2])
    case 'dayofweek': return BigInt(((dayOf(ms) + 4) % 7 + 7) % 7)
    case 'dayofyear': { const d = dayOf(ms); return BigInt(d - daysFrom(civil(d)[0], 1, 1) + 1) }
    case 'hour': return BigInt(Math.floor(msOfDay(ms) / 3_600_000))
    case 'minute': return BigInt(Math.floor(msOfDay(ms) / 60_000) % 60)
    case 'second': return BigInt(Math.floor(msOfDay(ms) / 1000) % 60)
    case 'millisecond': return BigInt(msOfDay(ms) % 60_000)
  }
  throw new SqlFunctionError(`Unknown date part ${part}`)
}

function dateTrunc (unit: string, ms: number): number {
  const u = unit.toLowerCase()
  const days = dayOf(ms)
  switch (u) {
    case 'millisecond': case 'milliseconds': return Math.floor(ms)
    case 'second': case 'seconds': return Math.floor(ms / 1000) * 1000
    case 'minute': case 'minutes': return Math.floor(ms / 60_000) * 60_000
    case 'hour': case 'hours': return Math.floor(ms / 3_600_000) * 3_600_000
    case 'day': case 'days': return days * DAY
    case 'week': case 'weeks': return (days - ((days + 3) % 7 + 7) % 7) * DAY // ISO weeks start on Monday
  }
  const [y, m] = civil(days)
  switch (u) {
    case 'month': case 'months': return daysFrom(y, m, 1) * DAY
    case 'quarter': case 'quarters': return daysFrom(y, m - ((m - 1) % 3), 1) * DAY
    case 'year': case 'years': return daysFrom(y, 1, 1) * DAY
    case 'decade': case 'decades': return daysFrom(Math.floor(y / 10) * 10, 1, 1) * DAY
    // as DuckDB: the 2000s start in 2000
    case 'century': case 'centuries': return daysFrom(Math.floor(y / 100) * 100, 1, 1) * DAY
    case 'millennium': case 'millennia': return daysFrom(Math.floor(y / 1000) * 1000, 1, 1) * DAY
  }
  throw new SqlFunctionError(`Unknown date_trunc unit '${unit}'`)
}

/** `ms` plus `months` calendar months, the day clamped to the month's last (Jan 31 + 1 month = Feb 29/28). */
function addMonths (ms: number, months: number): number {
  if (months === 0) return ms
  const days = dayOf(ms)
  const [y, m, d] = civil(days)
  const total = y * 12 + (m - 1) + months
  const ny = Math.floor(total / 12)
  const nm = total - ny * 12 + 1
  const last = daysFrom(nm === 12 ? ny + 1 : ny, nm === 12 ? 1 : nm + 1, 1) - daysFrom(ny, nm, 1)
  return daysFrom(ny, nm, Math.min(d, last)) * DAY + (ms - days * DAY)
}

function addInterval (ms: number, i: IntervalValue, sign: 1 | -1): number {
  return addMonths(ms, sign * i.months) + sign * i.ms
}

// --- text forms -------------------------------------------------------------------------

const two = (n: number): string => n < 10 ? `0${n}` : String(n)

function formatDate (ms: number): string {
  const [y, m, d] = civil(dayOf(ms))
  const year = y >= 0 && y < 10000 ? String(y).padStart(4, '0') : String(y)
  return `${year}-${two(m)}-${two(d)}`
}

function formatTimestamp (ms: number): string {
  const t = msOfDay(ms)
  const frac = Math.round((t % 1000) * 1000)
  const base = `${formatDate(ms)} ${two(Math.floor(t / 3_600_000))}:${two(Math.floor(t / 60_000) % 60)}:${two(Math.floor(t / 1000) % 60)}`
  return frac === 0 ? base : `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`
}

/** A DOUBLE as DuckDB prints it: `1.0`, `0.1`, `1e+20`, `1.5e-07`, `nan`, `inf`. */
function formatDouble (x: number): string {
  if (Number.isNaN(x)) return 'nan'
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf'
  const a = Math.abs(x)
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [mant, exp] = x.toExponential().split('e') as [string, string]
    const sign = exp.startsWith('-') ? '-' : '+'
    const digits = exp.replace(/^[+-]/, '')
    return `${mant}e${sign}${digits.length < 2 ? `0${digits}` : digits}`
  }
  return Number.isInteger(x) ? `${x}.0` : String(x)
}

function formatInterval (i: IntervalValue): string {
  const parts: string[] = []
  if (i.months !== 0) {
    const y = Math.trunc(i.months / 12)
    const m = i.months % 12
    if (y !== 0) parts.push(`${y} year${Math.abs(y) === 1 ? '' : 's'}`)
    if (m !== 0) parts.push(`${m} month${Math.abs(m) === 1 ? '' : 's'}`)
  }
  let ms = i.ms
  const days = Math.trunc(ms / DAY)
  ms -= days * DAY
  if (days !== 0) parts.push(`${days} day${Math.abs(days) === 1 ? '' : 's'}`)
  if (ms !== 0 || parts.length === 0) {
    const neg = ms < 0 ? '-' : ''
    ms = Math.abs(ms)
    const frac = ms % 1000
    parts.push(`${neg}${two(Math.floor(ms / 3_600_000))}:${two(Math.floor(ms / 60_000) % 60)}:${two(Math.floor(ms / 1000) % 60)}${frac === 0 ? '' : `.${String(frac * 1000).padStart(6, '0').replace(/0+$/, '')}`}`)
  }
  return parts.join(' ')
}

const TIME_TEXT = /^\s*(-?\d{1,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(?:Z|\+00(?::?00)?)?\s*$/

function parseTime (s: string, type: 'DATE' | 'TIMESTAMP'): number {
  const m = TIME_TEXT.exec(s)
  if (m === null) throw new SqlConversionError(`Could not convert string '${s}' to ${type}`)
  const [y, mo, d, h, mi, se, fr] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] ?? '']
  const days = daysFrom(y, mo, d)
  if (mo < 1 || mo > 12 || d < 1 || civil(days)[2] !== d || h > 23 || mi > 59 || se > 59) throw new SqlConversionError(`Could not convert string '${s}' to ${type}`)
  if (type === 'DATE') return days * DAY
  return days * DAY + h * 3_600_000 + mi * 60_000 + se * 1000 + Number(`0.${fr}`) * 1000
}

/** Round half to even, as DuckDB casts DOUBLE to an integer type. */
function roundEven (x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

function toInteger (x: number): number {
  const r = roundEven(x)
  if (!(r >= INT32_MIN && r <= INT32_MAX)) throw new SqlConversionError(`DOUBLE value ${formatDouble(x)} is out of range for INTEGER`)
  return r
}

function toBigint (x: number): bigint {
  if (!Number.isFinite(x) || x >= 9223372036854775808 || x < -9223372036854775808) throw new SqlConversionError(`DOUBLE value ${formatDouble(x)} is out of range for BIGINT`)
  return BigInt(roundEven(x))
}

function bigintToInteger (x: bigint): number {
  if (x > 2147483647n || x < -2147483648n) throw new SqlConversionError(`BIGINT value ${x} is out of range for INTEGER`)
  return Number(x)
}

function parseNumber (s: string, type: 'INTEGER' | 'BIGINT' | 'DOUBLE'): number | bigint {
  const t = s.trim()
  if (type === 'BIGINT' && /^[+-]?\d+$/.test(t)) {
    const b = BigInt(t)
    if (b > INT64_MAX || b < INT64_MIN) throw new SqlConversionError(`Could not convert string '${s}' to BIGINT`)
    return b
  }
  const lower = t.toLowerCase()
  const x = lower === 'nan' ? NaN : lower === 'inf' || lower === 'infinity' ? Infinity : lower === '-inf' || lower === '-infinity' ? -Infinity : t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? undefined : Number(t)
  if (x === undefined || (type !== 'DOUBLE' && !Number.isFinite(x))) throw new SqlConversionError(`Could not convert string '${s}' to ${type}`)
  if (type === 'DOUBLE') return x
  return type === 'INTEGER' ? toInteger(x) : toBigint(x)
}

function parseBoolean (s: string): boolean {
  switch (s.trim().toLowerCase()) {
    case 'true': case 't': case 'yes': case 'y': case '1': case 'on': return true
    case 'false': case 'f': case 'no': case 'n': case '0': case 'off': return false
  }
  throw new SqlConversionError(`Could not convert string '${s}' to BOOLEAN`)
}

/** Sign of a number or bigint as -1, 0, 1 (NaN: NaN). */
function sign (x: number | bigint): number {
  if (typeof x === 'bigint') return x > 0n ? 1 : x < 0n ? -1 : 0
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN
}

const SEEN = Symbol('distinct values')

/** Adds `v` to a DISTINCT aggregate's values unless present (a Set under a symbol indexes them; structured clone and CBOR drop it). */
function addDistinct (values: unknown[] & { [SEEN]?: Set<unknown> }, v: unknown): void {
  let seen = values[SEEN]
  if (seen === undefined) {
    seen = new Set(values)
    Object.defineProperty(values, SEEN, { value: seen, enumerable: false })
  }
  if (seen.has(v)) return
  seen.add(v)
  values.push(v)
}

/** The helpers by name; generated code receives this object as `R`. */
export const R = {
  DAY, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
  likeMatcher, substring, length, left, right, pad, trim, position, reverse,
  roundDouble, roundInteger, roundBigint, sqrt, ln, log10, sign, overflow32, i64,
  datePart, dateTrunc, addMonths, addInterval, civil, daysFrom,
  formatDate, formatTimestamp, formatDouble, formatInterval, parseTime,
  toInteger, toBigint, bigintToInteger, parseNumber, parseBoolean, roundEven, addDistinct
} as const

export type Runtime = typeof R

/**
 * Typed literals: `DATE '1998-12-01'`, `TIMESTAMP '2024-01-31 10:00:00.5'` (UTC) and
 * `INTERVAL '90' DAY` as the values sql-types.ts describes (epoch ms; `{ months, ms }`).
 *
 * @example
 * parseDateLiteral('1998-12-01', pos)   // 912470400000
 * parseIntervalLiteral('3', 'MONTH', pos) // { months: 3, ms: 0 }
 */
import type { IntervalUnit, Pos } from '../ast.ts'
import type { IntervalValue } from '../sql-types.ts'
import { SqlTypeError } from '../errors.ts'

const DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/
const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:Z|[+-]00(?::?00)?)?$/

/** Epoch ms of a UTC date and time, or NaN when a field is out of range. */
function utc (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return NaN
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  // Date.UTC rolls 31 February over into March: refuse it
  return new Date(t).getUTCDate() === d ? t : NaN
}

/** `YYYY-MM-DD` as epoch ms of UTC midnight. */
export function parseDateLiteral (text: string, pos: Pos): number {
  const m = DATE.exec(text.trim())
  const t = m === null ? NaN : utc(Number(m[1]), Number(m[2]), Number(m[3]))
  if (Number.isNaN(t)) throw new SqlTypeError(`Invalid DATE '${text}' (expected YYYY-MM-DD)`, pos)
  return t
}

/** `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` (UTC) as epoch ms. */
export function parseTimestampLiteral (text: string, pos: Pos): number {
  const m = TIMESTAMP.exec(text.trim())
  const t = m === null
    ? NaN
    : utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000))
  if (Number.isNaN(t)) throw new SqlTypeError(`Invalid TIMESTAMP '${text}' (expected YYYY-MM-DD HH:MM:SS[.fff])`, pos)
  return t
}

const MS: Readonly<Record<string, number>> = { DAY: 86_400_000, HOUR: 3_600_000, MINUTE: 60_000, SECOND: 1000, MILLISECOND: 1 }

/** `INTERVAL 'n' UNIT` (n may be negative or, below a day, fractional). */
export function parseIntervalLiteral (text: string, unit: IntervalUnit, pos: Pos): IntervalValue {
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(n)) throw new SqlTypeError(`Invalid INTERVAL '${text}' ${unit} (expected a number)`, pos)
  if (unit === 'YEAR' || unit === 'MONTH') {
    if (!Number.isInteger(n)) throw new SqlTypeError(`INTERVAL '${text}' ${unit} must be a whole number`, pos)
    return { months: unit === 'YEAR' ? n * 12 : n, ms: 0 }
  }
  return { months: 0, ms: Math.round(n * MS[unit]!) }
}

/** An interval's length in ms, when it has no months (window sizes); undefined otherwise. */
export function intervalMs (v: IntervalValue): number | undefined {
  return v.months === 0 ? v.ms : undefined
}

/**
 * Push-down predicates (node/api/dataset-schema.ts `Predicate`): validation against a
 * schema, compilation to a row filter, and pruning of whole segments by their statistics.
 * The vectorised filter over a columnar view is predicate-select.ts.
 *
 * Semantics are SQL's three-valued logic: a comparison (=, !=, <, <=, >, >=, between, in)
 * with a null value is unknown; `not` unknown is unknown; `and` is false if any argument
 * is false, else unknown if any is unknown; `or` is true if any argument is true, else
 * unknown if any is; a row passes only when the predicate is true. `is-null` and
 * `is-not-null` are never unknown. `and` of nothing is true, `or` of nothing false.
 * Numbers compare as IEEE doubles: NaN equals nothing (not even NaN) and is neither less
 * nor greater than anything, so `x != 1` holds for NaN and `x < 1` does not. Strings
 * compare by JS order (UTF-16 code units), booleans false < true, int64 as bigints.
 *
 * @example
 * validatePredicate(schema, p)
 * const keep = compilePredicate(schema, p) // (row) => boolean
 * const skip = !segmentMayMatch(segment.stats, segment.rows, p)
 */
import type { ColumnType, DatasetSchema, Predicate, Scalar } from '../../api/dataset-schema.ts'
import type { ColumnStats } from './dataset-types.ts'
import { MAX_PREDICATE_DEPTH } from './constants.ts'
import { INT64_MAX, INT64_MIN, columnOf } from './dataset-schema.ts'
import { InvalidPredicateError, describeValue } from './errors.ts'

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>='])
const OPS = ['and', 'or', 'not', '=', '!=', '<', '<=', '>', '>=', 'between', 'in', 'is-null', 'is-not-null']

/** Three-valued results: false, true, unknown (the values of the Uint8Arrays predicate-select.ts fills). */
export const FALSE = 0
export const TRUE = 1
export const UNKNOWN = 2
/** A three-valued result. */
export type Tri = typeof FALSE | typeof TRUE | typeof UNKNOWN

/** Whether a literal fits a column of `type` (int64 takes safe integers too). */
function fits (type: ColumnType, value: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'number':
    case 'timestamp': return typeof value === 'number'
    case 'boolean': return typeof value === 'boolean'
    case 'int64': return typeof value === 'bigint' ? value >= INT64_MIN && value <= INT64_MAX : Number.isSafeInteger(value)
  }
}

/** A literal as the column holds it: a safe integer compared with an int64 column becomes a bigint. */
export function literalFor (type: ColumnType, value: Scalar): Scalar {
  return type === 'int64' && typeof value === 'number' ? BigInt(value) : value
}

/**
 * Checks a predicate against a schema: known ops, well-formed arguments, known columns,
 * literals of the column's type.
 *
 * @throws UnknownColumnError naming the column, with a did-you-mean
 * @throws InvalidPredicateError naming what is malformed, or the column and the literal of another type
 */
export function validatePredicate (schema: DatasetSchema, predicate: Predicate): void {
  check(schema, predicate, 0)
}

function check (schema: DatasetSchema, p: Predicate, depth: number): void {
  if (depth > MAX_PREDICATE_DEPTH) throw new InvalidPredicateError(`Predicate nests deeper than ${MAX_PREDICATE_DEPTH} levels`)
  if (typeof p !== 'object' || p === null) throw new InvalidPredicateError(`A predicate must be an object, got ${describeValue(p)}`)
  const op = (p as { op?: unknown }).op
  if (typeof op !== 'string' || !OPS.includes(op)) throw new InvalidPredicateError(`Unknown predicate op ${describeValue(op)} (known: ${OPS.join(', ')})`)
  if (p.op === 'and' || p.op === 'or') {
    if (!Array.isArray(p.args)) throw new InvalidPredicateError(`Predicate '${p.op}' needs an args array`)
    for (const a of p.args) check(schema, a, depth + 1)
    return
  }
  if (p.op === 'not') {
    check(schema, p.arg, depth + 1)
    return
  }
  checkLeaf(schema, p as Leaf)
}

/** A predicate that names a column. */
type Leaf = Exclude<Predicate, { op: 'and' | 'or' } | { op: 'not' }>

function checkLeaf (schema: DatasetSchema, p: Leaf): void {
  if (typeof p.column !== 'string') throw new InvalidPredicateError(`Predicate '${p.op}' needs a column name, got ${describeValue(p.column)}`)
  const { name, type } = columnOf(schema, p.column)
  const literal = (value: unknown, what: string): void => {
    if (!fits(type, value)) throw new InvalidPredicateError(`Predicate '${p.op}' compares column '${name}' (${type}) with ${what} ${describeValue(value)}, not a ${type}`, name)
  }
  switch (p.op) {
    case 'is-null':
    case 'is-not-null': return
    case 'between':
      literal(p.low, 'low')
      literal(p.high, 'high')
      return
    case 'in':
      if (!Array.isArray(p.values)) throw new InvalidPredicateError(`Predicate 'in' on column '${name}' needs a values array`, name)
      for (const v of p.values) literal(v, 'value')
      return
    default:
      if (!COMPARISONS.has(p.op)) throw new InvalidPredicateError(`Unknown predicate op '${String(p.op)}'`)
      literal(p.value, 'value')
  }
}

/** `v op c` for a non-null v, JS (IEEE) comparison. */
export function compare (op: '=' | '!=' | '<' | '<=' | '>' | '>=', v: Scalar, c: Scalar): boolean {
  switch (op) {
    case '=': return v === c
    case '!=': return v !== c
    case '<': return v < c
    case '<=': return v <= c
    case '>': return v > c
    case '>=': return v >= c
  }
}

type TriFn = (row: Readonly<Record<string, unknown>>) => Tri

/** A leaf (comparison, between, in) as a test of one non-null value; the caller handles null. */
export function leafTest (type: ColumnType, p: Exclude<Predicate, { op: 'and' | 'or' | 'not' | 'is-null' | 'is-not-null' }>): (v: Scalar) => boolean {
  switch (p.op) {
    case 'between': {
      const lo = literalFor(type, p.low)
      const hi = literalFor(type, p.high)
      return v => v >= lo && v <= hi
    }
    case 'in': {
      // NaN equals nothing: it never makes `in` true (a Set would match NaN with NaN)
      const set = new Set(p.values.map(v => literalFor(type, v)).filter(v => v === v))
      return v => set.has(v)
    }
    default: {
      const c = literalFor(type, p.value)
      const op = p.op
      return v => compare(op, v, c)
    }
  }
}

function compileTri (schema: DatasetSchema, p: Predicate): TriFn {
  switch (p.op) {
    case 'and': {
      const args = p.args.map(a => compileTri(schema, a))
      return row => {
        let r: Tri = TRUE
        for (let i = 0; i < args.length; i++) {
          const x = args[i]!(row)
          if (x === FALSE) return FALSE
          if (x === UNKNOWN) r = UNKNOWN
        }
        return r
      }
    }
    case 'or': {
      const args = p.args.map(a => compileTri(schema, a))
      return row => {
        let r: Tri = FALSE
        for (let i = 0; i < args.length; i++) {
          const x = args[i]!(row)
          if (x === TRUE) return TRUE
          if (x === UNKNOWN) r = UNKNOWN
        }
        return r
      }
    }
    case 'not': {
      const arg = compileTri(schema, p.arg)
      return row => { const x = arg(row); return x === UNKNOWN ? UNKNOWN : x === TRUE ? FALSE : TRUE }
    }
    case 'is-null': {
      const name = p.column
      return row => row[name] == null ? TRUE : FALSE
    }
    case 'is-not-null': {
      const name = p.column
      return row => row[name] == null ? FALSE : TRUE
    }
    default: {
      const name = p.column
      const test = leafTest(columnOf(schema, name).type, p)
      return row => {
        const v = row[name]
        if (v === null || v === undefined) return UNKNOWN
        return test(v as Scalar) ? TRUE : FALSE
      }
    }
  }
}

/**
 * The predicate as a row filter: true when the predicate is true for the row (false or
 * unknown drop it). Rows are records keyed by column name; a missing value is null.
 *
 * @throws what validatePredicate throws
 */
export function compilePredicate (schema: DatasetSchema, predicate: Predicate): (row: Readonly<Record<string, unknown>>) => boolean {
  validatePredicate(schema, predicate)
  const tri = compileTri(schema, predicate)
  return row => tri(row) === TRUE
}

/** The predicate's three-valued result for a row (for tests and callers that tell false from unknown). */
export function evaluatePredicate (schema: DatasetSchema, predicate: Predicate): (row: Readonly<Record<string, unknown>>) => Tri {
  validatePredicate(schema, predicate)
  return compileTri(schema, predicate)
}

/** Whether some row may make a node true, and whether some row may make it false. */
interface Possible { readonly canTrue: boolean, readonly canFalse: boolean }
const UNSURE: Possible = { canTrue: true, canFalse: true }
const NEITHER: Possible = { canTrue: false, canFalse: false }

/** Bounds usable for pruning: of the literal's kind (bigint and number compare fine), neither they nor the literal NaN. */
function usable (stats: ColumnStats, literal: unknown): boolean {
  const { min, max } = stats
  if (min === null || max === null) return false
  const kind = (x: unknown): string => typeof x === 'bigint' ? 'number' : typeof x
  if (kind(min) !== kind(literal) || kind(max) !== kind(literal)) return false
  // NaN anywhere proves nothing: every comparison with it is false, so its negation is true
  return min === min && max === max && literal === literal
}

function possible (stats: Readonly<Record<string, ColumnStats>>, rows: number, p: Predicate, depth: number): Possible {
  if (depth > MAX_PREDICATE_DEPTH) return UNSURE
  switch (p.op) {
    case 'and': {
      const parts = p.args.map(a => possible(stats, rows, a, depth + 1))
      return { canTrue: parts.every(x => x.canTrue), canFalse: parts.some(x => x.canFalse) }
    }
    case 'or': {
      const parts = p.args.map(a => possible(stats, rows, a, depth + 1))
      return { canTrue: parts.some(x => x.canTrue), canFalse: parts.every(x => x.canFalse) }
    }
    case 'not': {
      const x = possible(stats, rows, p.arg, depth + 1)
      return { canTrue: x.canFalse, canFalse: x.canTrue }
    }
  }
  const s = Object.hasOwn(stats, p.column) ? stats[p.column] : undefined
  if (s === undefined || typeof s.nulls !== 'number') return UNSURE
  if (p.op === 'is-null') return { canTrue: s.nulls > 0, canFalse: s.nulls < rows }
  if (p.op === 'is-not-null') return { canTrue: s.nulls < rows, canFalse: s.nulls > 0 }
  // every value null: every comparison is unknown, never true nor false
  if (s.nulls >= rows) return NEITHER
  const { min, max } = s as { min: Scalar, max: Scalar }
  switch (p.op) {
    case 'between':
      if (!usable(s, p.low) || !usable(s, p.high)) return UNSURE
      return { canTrue: p.low <= p.high && max >= p.low && min <= p.high, canFalse: !(min >= p.low && max <= p.high) }
    case 'in': {
      if (!p.values.every(v => usable(s, v))) return UNSURE
      return { canTrue: p.values.some(v => v >= min && v <= max), canFalse: !(min === max && p.values.some(v => v === min)) }
    }
    default: {
      const c = (p as { value: Scalar }).value
      if (!usable(s, c)) return UNSURE
      const single = min === max && min === c
      const inside = min <= c && c <= max
      switch (p.op) {
        case '=': return { canTrue: inside, canFalse: !single }
        case '!=': return { canTrue: !single, canFalse: inside }
        case '<': return { canTrue: min < c, canFalse: max >= c }
        case '<=': return { canTrue: min <= c, canFalse: max > c }
        case '>': return { canTrue: max > c, canFalse: min <= c }
        case '>=': return { canTrue: max >= c, canFalse: min < c }
      }
    }
  }
  return UNSURE
}

/**
 * Whether a segment with these statistics may hold a row the predicate is true for: false
 * only when that is provable from min/max/null counts (then the scan skips the segment).
 * Conservative: true whenever unsure — a column without statistics, NaN bounds, a literal
 * of another kind than the bounds, an unknown op. `not` prunes only when its argument is
 * provably true (or unknown) for every row.
 */
export function segmentMayMatch (stats: Readonly<Record<string, ColumnStats>>, rows: number, predicate: Predicate): boolean {
  if (rows === 0) return false
  try {
    return possible(stats, rows, predicate, 0).canTrue
  } catch {
    // a malformed predicate or statistics: not ours to judge here, keep the segment
    return true
  }
}

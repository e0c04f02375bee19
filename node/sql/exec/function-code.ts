/**
 * The JavaScript each strict call compiles to, given its arguments as variables that are
 * known not to be NULL (the code generator checks that first): one expression per
 * function name, chosen by the argument and result types. `t` is a scratch variable the
 * generated function declares; `R` the runtime helpers (runtime.ts).
 *
 * @example
 * strictCallCode('add', ['v0', 'v1'], ['DOUBLE', 'DOUBLE'], 'DOUBLE')   // '(v0 + v1)'
 */
import type { SqlType } from '../sql-types.ts'
import { SqlFunctionError } from './errors.ts'

/** Calls that are not NULL on every NULL argument: compiled by the generator itself. */
export const NON_STRICT: ReadonlySet<string> = new Set([
  'and', 'or', 'is_null', 'is_not_null', 'is_true', 'is_false', 'coalesce', 'concat', 'greatest', 'least', 'in', 'nullif'
])

const INT64_MAX = '9223372036854775807n'
const INT64_MIN = '-9223372036854775808n'

function int32 (what: string, op: string, a: string, b: string): string {
  return `((t = ${a} ${op} ${b}) > 2147483647 || t < -2147483648 ? R.overflow32(${JSON.stringify(what)}, ${a}, ${b}) : t | 0)`
}

function int64 (what: string, op: string, a: string, b: string): string {
  return `((t = ${a} ${op} ${b}) > ${INT64_MAX} || t < ${INT64_MIN} ? R.i64(t, ${JSON.stringify(what)}, ${a}, ${b}) : t)`
}

const ARITH: Readonly<Record<string, [string, string]>> = { add: ['+', 'addition'], sub: ['-', 'subtraction'], mul: ['*', 'multiplication'] }

/**
 * DuckDB's order of DOUBLEs: NaN equals NaN and is above every other number. `aNum`/`bNum`
 * say a side is a constant that is not NaN (its NaN tests drop out).
 */
export function compareDoubles (op: string, a: string, b: string, aNum: boolean, bNum: boolean): string {
  const aNaN = aNum ? 'false' : `${a} !== ${a}`
  const bNaN = bNum ? 'false' : `${b} !== ${b}`
  const or = (x: string, y: string): string => y === 'false' ? x : `(${x} || ${y})`
  const and = (x: string, y: string): string => x === 'false' || y === 'false' ? 'false' : `${x} && ${y}`
  const not = (x: string): string => x === 'false' ? 'true' : `!(${x})`
  switch (op) {
    case 'eq': return or(`${a} === ${b}`, and(aNaN, bNaN))
    case 'ne': return `!(${or(`${a} === ${b}`, and(aNaN, bNaN))})`
    case 'lt': return or(`${a} < ${b}`, bNaN === 'false' ? 'false' : and(bNaN, not(aNaN)))
    case 'le': return or(`${a} <= ${b}`, bNaN)
    case 'gt': return or(`${a} > ${b}`, aNaN === 'false' ? 'false' : and(aNaN, not(bNaN)))
    case 'ge': return or(`${a} >= ${b}`, aNaN)
  }
  throw new SqlFunctionError(`Not a comparison: ${op}`)
}

const COMPARE: Readonly<Record<string, string>> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' }

/**
 * The expression of strict call `fn` over non-NULL argument variables `a` of types
 * `types` with result type `type` (it may still give null: `x % 0`).
 *
 * @throws SqlFunctionError for a name the registry does not resolve to
 */
export function strictCallCode (fn: string, a: readonly string[], types: readonly SqlType[], type: SqlType): string {
  const [x = '', y = '', z = ''] = a
  const t0 = types[0]
  const arith = ARITH[fn]
  if (arith !== undefined) {
    if (type === 'INTEGER') return int32(arith[1], arith[0], x, y)
    if (type === 'BIGINT') return int64(arith[1], arith[0], x, y)
    return `(${x} ${arith[0]} ${y})`
  }
  const cmp = COMPARE[fn]
  if (cmp !== undefined) return t0 === 'DOUBLE' ? compareDoubles(fn, x, y, false, false) : `(${x} ${cmp} ${y})`
  switch (fn) {
    // DuckDB: a division (or remainder) by zero is NULL
    case 'div': return `(${y} === 0 ? null : ${x} / ${y})`
    case 'mod':
      if (type === 'BIGINT') return `(${y} === 0n ? null : ${x} % ${y})`
      if (type === 'INTEGER') return `(${y} === 0 ? null : (${x} % ${y}) | 0)`
      return `(${y} === 0 ? null : ${x} % ${y})`
    case 'neg':
      if (type === 'INTEGER') return `(${x} === -2147483648 ? R.overflow32("negation", ${x}) : (-${x}) | 0)`
      if (type === 'BIGINT') return `(${x} === ${INT64_MIN} ? R.i64(-${x}, "negation", ${x}, 0n) : -${x})`
      return `(-${x})`
    case 'not': return `!${x}`
    case 'concat_op': return `(${x} + ${y})`
    case 'like':
    case 'ilike': return `R.likeMatcher(${y}, ${a.length > 2 ? z : 'null'}, ${fn === 'ilike'})(${x})`
    case 'upper': return `${x}.toUpperCase()`
    case 'lower': return `${x}.toLowerCase()`
    case 'length': return `R.length(${x})`
    case 'substring': return a.length > 2 ? `R.substring(${x}, ${y}, ${z})` : `R.substring(${x}, ${y})`
    case 'trim': return `R.trim(${x}, ${a.length > 1 ? y : 'undefined'}, true, true)`
    case 'ltrim': return `R.trim(${x}, ${a.length > 1 ? y : 'undefined'}, true, false)`
    case 'rtrim': return `R.trim(${x}, ${a.length > 1 ? y : 'undefined'}, false, true)`
    case 'replace': return `(${y} === "" ? ${x} : ${x}.replaceAll(${y}, ${z}))`
    case 'position': return `R.position(${x}, ${y})`
    case 'starts_with': return `${x}.startsWith(${y})`
    case 'left': return `R.left(${x}, ${y})`
    case 'right': return `R.right(${x}, ${y})`
    case 'lpad': return `R.pad(${x}, ${y}, ${a.length > 2 ? z : '" "'}, true)`
    case 'rpad': return `R.pad(${x}, ${y}, ${a.length > 2 ? z : '" "'}, false)`
    case 'reverse': return `R.reverse(${x})`
    case 'abs':
      if (type === 'INTEGER') return `(${x} === -2147483648 ? R.overflow32("abs", ${x}) : Math.abs(${x}))`
      if (type === 'BIGINT') return `(${x} < 0n ? R.i64(-${x}, "abs", ${x}, 0n) : ${x})`
      return `Math.abs(${x})`
    case 'round': {
      const d = a.length > 1 ? y : '0'
      if (type === 'INTEGER') return `R.roundInteger(${x}, ${d})`
      if (type === 'BIGINT') return `R.roundBigint(${x}, ${d})`
      return `R.roundDouble(${x}, ${d})`
    }
    case 'floor': return `Math.floor(${x})`
    case 'ceil': return `Math.ceil(${x})`
    case 'sqrt': return `R.sqrt(${x})`
    case 'power': return `Math.pow(${x}, ${y})`
    case 'exp': return `Math.exp(${x})`
    case 'ln': return `R.ln(${x})`
    case 'log10': return `R.log10(${x})`
    case 'sign': return `R.sign(${x})`
    case 'year': case 'quarter': case 'month': case 'day': case 'dayofweek': case 'dayofyear':
    case 'hour': case 'minute': case 'second': case 'millisecond':
      return `R.datePart(${JSON.stringify(fn)}, ${x})`
    case 'date_trunc': return `R.dateTrunc(${x}, ${y})`
    case 'ts_add_interval': return `R.addInterval(${x}, ${y}, 1)`
    case 'interval_add_ts': return `R.addInterval(${y}, ${x}, 1)`
    case 'ts_sub_interval': return `R.addInterval(${x}, ${y}, -1)`
    case 'date_add_days': return `(${x} + ${y} * 86400000)`
    case 'days_add_date': return `(${y} + ${x} * 86400000)`
    case 'date_sub_days': return `(${x} - ${y} * 86400000)`
    case 'date_diff_days': return `BigInt(Math.round((${x} - ${y}) / 86400000))`
    case 'ts_diff': return `({ months: 0, ms: ${x} - ${y} })`
    case 'interval_add': return `({ months: ${x}.months + ${y}.months, ms: ${x}.ms + ${y}.ms })`
  }
  throw new SqlFunctionError(`Unknown function ${fn}`)
}

/**
 * The expression converting non-NULL `x` from type `from` to `to`.
 *
 * @throws SqlFunctionError when no such conversion exists
 */
export function castCode (x: string, from: SqlType, to: SqlType): string {
  if (from === to || from === 'NULL') return x
  const key = `${from}>${to}`
  switch (key) {
    case 'INTEGER>BIGINT': return `BigInt(${x})`
    case 'INTEGER>DOUBLE': return x
    case 'INTEGER>VARCHAR': case 'BIGINT>VARCHAR': return `String(${x})`
    case 'INTEGER>BOOLEAN': case 'DOUBLE>BOOLEAN': return `(${x} !== 0)`
    case 'BIGINT>INTEGER': return `R.bigintToInteger(${x})`
    case 'BIGINT>DOUBLE': return `Number(${x})`
    case 'BIGINT>BOOLEAN': return `(${x} !== 0n)`
    case 'DOUBLE>INTEGER': return `R.toInteger(${x})`
    case 'DOUBLE>BIGINT': return `R.toBigint(${x})`
    case 'DOUBLE>VARCHAR': return `R.formatDouble(${x})`
    case 'VARCHAR>INTEGER': case 'VARCHAR>BIGINT': case 'VARCHAR>DOUBLE': return `R.parseNumber(${x}, ${JSON.stringify(to)})`
    case 'VARCHAR>BOOLEAN': return `R.parseBoolean(${x})`
    case 'VARCHAR>DATE': case 'VARCHAR>TIMESTAMP': return `R.parseTime(${x}, ${JSON.stringify(to)})`
    case 'BOOLEAN>INTEGER': case 'BOOLEAN>DOUBLE': return `(${x} ? 1 : 0)`
    case 'BOOLEAN>BIGINT': return `(${x} ? 1n : 0n)`
    case 'BOOLEAN>VARCHAR': return `(${x} ? "true" : "false")`
    case 'DATE>TIMESTAMP': return x
    case 'DATE>VARCHAR': return `R.formatDate(${x})`
    case 'TIMESTAMP>DATE': return `(Math.floor(${x} / 86400000) * 86400000)`
    case 'TIMESTAMP>VARCHAR': return `R.formatTimestamp(${x})`
    case 'INTERVAL>VARCHAR': return `R.formatInterval(${x})`
  }
  throw new SqlFunctionError(`Cannot cast ${from} to ${to}`)
}

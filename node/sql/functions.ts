/**
 * The registry of SQL operators and scalar functions with their type rules: which
 * argument types a call accepts, what the binder casts them to, its result type and when
 * it can be NULL. Semantics follow DuckDB (the test oracle); the code each call compiles
 * to is in exec/compile-expression.ts and exec/function-code.ts.
 *
 * Names: operators by their bound-expression.ts names (`add`, `eq`, …) or symbols (`+`,
 * `=`, `||`, …); functions by name, any case. `concat` is the variadic function (skips
 * NULLs, as DuckDB); the `||` operator resolves to `concat_op` (NULL when either side is).
 * Aliases resolve to one canonical `fn` (`substr` → `substring`, `extract_year` → `year`).
 *
 * @example
 * resolveFunction('+', ['INTEGER', 'DOUBLE'])
 * // { fn: 'add', type: 'DOUBLE', argTypes: ['DOUBLE', 'DOUBLE'], nullable: 'args' }
 * resolveFunction('upper', ['INTEGER'])
 * // { error: 'No function upper(INTEGER); upper takes (VARCHAR)' }
 */
import type { AggregateFn } from './bound-expression.ts'
import { commonType, isNumeric, isTemporal, type SqlType } from './sql-types.ts'

/**
 * A resolved call: `fn` is the name the call is bound with, `argTypes` the types the
 * binder casts each argument to, `nullable` whether the result can be NULL: `args` when
 * any argument can, `always` (e.g. `x % 0`, NULLIF), `never` (IS NULL, concat).
 */
export interface ResolvedFunction {
  readonly fn: string
  readonly type: SqlType
  readonly argTypes: readonly SqlType[]
  readonly nullable: 'args' | 'always' | 'never'
}

export type Resolution = ResolvedFunction | { readonly error: string }

type Resolver = (args: readonly SqlType[], name: string) => Resolution

const ok = (fn: string, type: SqlType, argTypes: readonly SqlType[], nullable: ResolvedFunction['nullable'] = 'args'): ResolvedFunction =>
  ({ fn, type, argTypes, nullable })

const SYMBOLS: Readonly<Record<string, string>> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '||': 'concat_op',
  '=': 'eq', '==': 'eq', '<>': 'ne', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge'
}

const OPERATOR_TEXT: Readonly<Record<string, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', mod: '%', neg: '-', concat_op: '||',
  eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=', and: 'AND', or: 'OR', not: 'NOT'
}

function describe (name: string, args: readonly SqlType[]): string {
  const op = OPERATOR_TEXT[name]
  if (op !== undefined) {
    return args.length === 1 ? `Operator ${op} does not apply to ${args[0]}` : `Operator ${op} does not apply to ${args.join(' and ')}`
  }
  return `No function ${name}(${args.join(', ')})`
}

const fail = (name: string, args: readonly SqlType[], expected?: string): { error: string } =>
  ({ error: expected === undefined ? describe(name, args) : `${describe(name, args)}; ${name} takes ${expected}` })

/** NULL-typed arguments take the type `t`. */
const orNull = (a: SqlType, t: SqlType): SqlType => a === 'NULL' ? t : a
const isNumOrNull = (a: SqlType): boolean => a === 'NULL' || isNumeric(a)
const isStrOrNull = (a: SqlType): boolean => a === 'NULL' || a === 'VARCHAR'
const isTimeOrNull = (a: SqlType): boolean => a === 'NULL' || isTemporal(a)

/** The common type of all arguments (NULLs alone: INTEGER, as DuckDB). */
function commonOf (args: readonly SqlType[]): SqlType | undefined {
  let t: SqlType = 'NULL'
  for (const a of args) {
    const c = commonType(t, a)
    if (c === undefined) return undefined
    t = c
  }
  return t
}

function numericBinary (fn: string): Resolver {
  return (args, name) => {
    if (args.length !== 2 || !args.every(isNumOrNull)) return fail(name, args)
    let t = commonOf(args)!
    if (t === 'NULL') t = 'INTEGER'
    if (fn === 'div') return ok('div', 'DOUBLE', ['DOUBLE', 'DOUBLE'], 'always')
    return ok(fn, t, [t, t], fn === 'mod' ? 'always' : 'args')
  }
}

const arithmetic = numericBinary

const resolveAdd: Resolver = (args, name) => {
  const [a, b] = args
  if (args.length === 2 && a !== undefined && b !== undefined) {
    if (isTemporal(a) && b === 'INTERVAL') return ok('ts_add_interval', 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL'])
    if (a === 'INTERVAL' && isTemporal(b)) return ok('interval_add_ts', 'TIMESTAMP', ['INTERVAL', 'TIMESTAMP'])
    if (a === 'DATE' && (b === 'INTEGER' || b === 'BIGINT')) return ok('date_add_days', 'DATE', ['DATE', 'INTEGER'])
    if ((a === 'INTEGER' || a === 'BIGINT') && b === 'DATE') return ok('days_add_date', 'DATE', ['INTEGER', 'DATE'])
    if (a === 'INTERVAL' && b === 'INTERVAL') return ok('interval_add', 'INTERVAL', ['INTERVAL', 'INTERVAL'])
  }
  return arithmetic('add')(args, name)
}

const resolveSub: Resolver = (args, name) => {
  const [a, b] = args
  if (args.length === 2 && a !== undefined && b !== undefined) {
    if (isTemporal(a) && b === 'INTERVAL') return ok('ts_sub_interval', 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL'])
    if (a === 'DATE' && b === 'DATE') return ok('date_diff_days', 'BIGINT', ['DATE', 'DATE'])
    if (isTemporal(a) && isTemporal(b)) return ok('ts_diff', 'INTERVAL', ['TIMESTAMP', 'TIMESTAMP'])
    if (a === 'DATE' && (b === 'INTEGER' || b === 'BIGINT')) return ok('date_sub_days', 'DATE', ['DATE', 'INTEGER'])
  }
  return arithmetic('sub')(args, name)
}

const resolveNeg: Resolver = (args, name) => {
  if (args.length !== 1 || !isNumOrNull(args[0]!)) return fail(name, args)
  const t = orNull(args[0]!, 'INTEGER')
  return ok('neg', t, [t])
}

/** The type two sides of a comparison meet in: commonType, or a VARCHAR read as the other side's DATE/TIMESTAMP. */
function comparisonType (a: SqlType, b: SqlType): SqlType | undefined {
  if (a === 'INTERVAL' || b === 'INTERVAL') return undefined
  const c = commonType(a, b)
  if (c !== undefined) return c === 'NULL' ? 'INTEGER' : c
  if (a === 'VARCHAR' && isTemporal(b)) return b
  if (b === 'VARCHAR' && isTemporal(a)) return a
  return undefined
}

function comparison (fn: string): Resolver {
  return (args, name) => {
    if (args.length !== 2) return fail(name, args)
    const t = comparisonType(args[0]!, args[1]!)
    if (t === undefined) return { error: `Cannot compare ${args[0]} with ${args[1]}` }
    return ok(fn, 'BOOLEAN', [t, t])
  }
}

function logical (fn: string, arity: number | undefined): Resolver {
  return (args, name) => {
    if ((arity !== undefined && args.length !== arity) || args.length === 0) return fail(name, args)
    if (!args.every(a => a === 'BOOLEAN' || a === 'NULL')) return fail(name, args, '(BOOLEAN)')
    return ok(fn, 'BOOLEAN', args.map(() => 'BOOLEAN'), fn === 'is_true' || fn === 'is_false' ? 'never' : 'args')
  }
}

const resolveIsNull = (fn: string): Resolver => (args, name) =>
  args.length === 1 ? ok(fn, 'BOOLEAN', args, 'never') : fail(name, args)

const resolveLike = (fn: string): Resolver => (args, name) =>
  (args.length === 2 || args.length === 3) && args.every(isStrOrNull)
    ? ok(fn, 'BOOLEAN', args.map(() => 'VARCHAR'))
    : fail(name, args, '(VARCHAR, VARCHAR [, VARCHAR escape])')

/** All arguments in their common type; the result of that type too unless `result` says otherwise. */
function sameType (fn: string, min: number, nullable: ResolvedFunction['nullable'], result?: SqlType): Resolver {
  return (args, name) => {
    if (args.length < min) return fail(name, args)
    let t = commonOf(args)
    if (t === undefined) return { error: `${describe(name, args)}: ${[...new Set(args)].join(' and ')} do not mix` }
    if (t === 'NULL') t = 'INTEGER'
    return ok(fn, result ?? t, args.map(() => t), nullable)
  }
}

const resolveConcat: Resolver = (args, name) =>
  args.length === 0 ? fail(name, args) : ok('concat', 'VARCHAR', args.map(() => 'VARCHAR'), 'never')

const resolveConcatOp: Resolver = (args, name) =>
  args.length !== 2 || args.includes('INTERVAL') ? fail(name, args) : ok('concat_op', 'VARCHAR', ['VARCHAR', 'VARCHAR'])

/** A function of fixed signatures: `sig` lists parameter kinds, `s` VARCHAR, `i` INTEGER (any number), `?` optional next. */
function strings (fn: string, type: SqlType, ...sigs: string[]): Resolver {
  return (args, name) => {
    for (const sig of sigs) {
      if (sig.length !== args.length) continue
      const types: SqlType[] = []
      let fits = true
      for (let i = 0; i < sig.length; i++) {
        const a = args[i]!
        if (sig[i] === 's' && isStrOrNull(a)) types.push('VARCHAR')
        else if (sig[i] === 'i' && isNumOrNull(a)) types.push('INTEGER')
        else { fits = false; break }
      }
      if (fits) return ok(fn, type, types)
    }
    const shown = sigs.map(s => `(${[...s].map(c => c === 's' ? 'VARCHAR' : 'INTEGER').join(', ')})`).join(' or ')
    return fail(name, args, shown)
  }
}

/** A math function over DOUBLE. */
function math (fn: string, arity: number): Resolver {
  return (args, name) => args.length === arity && args.every(isNumOrNull)
    ? ok(fn, 'DOUBLE', args.map(() => 'DOUBLE'))
    : fail(name, args, `(${Array(arity).fill('DOUBLE').join(', ')})`)
}

/** A number function keeping its argument's type (abs). */
const keepNumeric = (fn: string): Resolver => (args, name) => {
  if (args.length !== 1 || !isNumOrNull(args[0]!)) return fail(name, args, '(a number)')
  const t = orNull(args[0]!, 'DOUBLE')
  return ok(fn, t, [t])
}

const resolveRound: Resolver = (args, name) => {
  if (args.length < 1 || args.length > 2 || !args.every(isNumOrNull)) return fail(name, args, '(a number [, INTEGER digits])')
  const t = orNull(args[0]!, 'DOUBLE')
  return ok('round', t, args.length === 1 ? [t] : [t, 'INTEGER'])
}

const resolveSign: Resolver = (args, name) =>
  args.length === 1 && isNumOrNull(args[0]!) ? ok('sign', 'INTEGER', [orNull(args[0]!, 'DOUBLE')]) : fail(name, args, '(a number)')

/** A date part of a DATE or TIMESTAMP, as BIGINT. */
const datePart = (fn: string): Resolver => (args, name) =>
  args.length === 1 && isTimeOrNull(args[0]!) ? ok(fn, 'BIGINT', [orNull(args[0]!, 'TIMESTAMP')]) : fail(name, args, '(DATE or TIMESTAMP)')

/** Units date_trunc accepts. */
export const DATE_TRUNC_UNITS: readonly string[] = ['millennium', 'century', 'decade', 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond']

const resolveDateTrunc: Resolver = (args, name) =>
  args.length === 2 && isStrOrNull(args[0]!) && isTimeOrNull(args[1]!)
    ? ok('date_trunc', 'TIMESTAMP', ['VARCHAR', 'TIMESTAMP'])
    : fail(name, args, '(VARCHAR unit, DATE or TIMESTAMP)')

/** Operators: reachable by name, not offered as functions to users. */
const OPERATORS: Readonly<Record<string, Resolver>> = {
  add: resolveAdd,
  sub: resolveSub,
  mul: arithmetic('mul'),
  div: arithmetic('div'),
  mod: arithmetic('mod'),
  neg: resolveNeg,
  concat_op: resolveConcatOp,
  eq: comparison('eq'),
  ne: comparison('ne'),
  lt: comparison('lt'),
  le: comparison('le'),
  gt: comparison('gt'),
  ge: comparison('ge'),
  and: logical('and', undefined),
  or: logical('or', undefined),
  not: logical('not', 1),
  is_true: logical('is_true', 1),
  is_false: logical('is_false', 1),
  is_null: resolveIsNull('is_null'),
  is_not_null: resolveIsNull('is_not_null'),
  like: resolveLike('like'),
  ilike: resolveLike('ilike'),
  in: sameType('in', 2, 'args', 'BOOLEAN')
}

/** Scalar functions users call by name. */
const FUNCTIONS: Readonly<Record<string, Resolver>> = {
  coalesce: sameType('coalesce', 1, 'args'),
  nullif: sameType('nullif', 2, 'always'),
  greatest: sameType('greatest', 1, 'args'),
  least: sameType('least', 1, 'args'),
  concat: resolveConcat,
  upper: strings('upper', 'VARCHAR', 's'),
  lower: strings('lower', 'VARCHAR', 's'),
  length: strings('length', 'BIGINT', 's'),
  char_length: strings('length', 'BIGINT', 's'),
  substring: strings('substring', 'VARCHAR', 'si', 'sii'),
  substr: strings('substring', 'VARCHAR', 'si', 'sii'),
  trim: strings('trim', 'VARCHAR', 's', 'ss'),
  ltrim: strings('ltrim', 'VARCHAR', 's', 'ss'),
  rtrim: strings('rtrim', 'VARCHAR', 's', 'ss'),
  replace: strings('replace', 'VARCHAR', 'sss'),
  position: strings('position', 'BIGINT', 'ss'),
  strpos: strings('position', 'BIGINT', 'ss'),
  instr: strings('position', 'BIGINT', 'ss'),
  starts_with: strings('starts_with', 'BOOLEAN', 'ss'),
  left: strings('left', 'VARCHAR', 'si'),
  right: strings('right', 'VARCHAR', 'si'),
  lpad: strings('lpad', 'VARCHAR', 'si', 'sis'),
  rpad: strings('rpad', 'VARCHAR', 'si', 'sis'),
  reverse: strings('reverse', 'VARCHAR', 's'),
  abs: keepNumeric('abs'),
  round: resolveRound,
  floor: math('floor', 1),
  ceil: math('ceil', 1),
  ceiling: math('ceil', 1),
  sqrt: math('sqrt', 1),
  power: math('power', 2),
  pow: math('power', 2),
  exp: math('exp', 1),
  ln: math('ln', 1),
  log10: math('log10', 1),
  sign: resolveSign,
  mod: arithmetic('mod'),
  year: datePart('year'),
  quarter: datePart('quarter'),
  month: datePart('month'),
  day: datePart('day'),
  dayofmonth: datePart('day'),
  dayofweek: datePart('dayofweek'),
  dayofyear: datePart('dayofyear'),
  hour: datePart('hour'),
  minute: datePart('minute'),
  second: datePart('second'),
  millisecond: datePart('millisecond'),
  date_trunc: resolveDateTrunc
}

/** EXTRACT fields (`extract_<field>`) and the date part each is. */
const EXTRACT_FIELDS: Readonly<Record<string, string>> = {
  year: 'year', quarter: 'quarter', month: 'month', day: 'day', dow: 'dayofweek', dayofweek: 'dayofweek',
  doy: 'dayofyear', dayofyear: 'dayofyear', hour: 'hour', minute: 'minute', second: 'second', millisecond: 'millisecond'
}

/**
 * The call for `name` (operator name or symbol, or function name, any case) over
 * arguments of these types, or why not (a message naming the call and the types).
 */
export function resolveFunction (name: string, argTypes: readonly SqlType[]): Resolution {
  const lower = name.toLowerCase()
  const key = SYMBOLS[lower] ?? lower
  if (key.startsWith('extract_')) {
    const part = EXTRACT_FIELDS[key.slice('extract_'.length)]
    if (part === undefined) return { error: `Unknown EXTRACT field ${key.slice('extract_'.length).toUpperCase()}` }
    return FUNCTIONS[part]!(argTypes, `extract(${key.slice('extract_'.length)})`)
  }
  const resolver = Object.hasOwn(OPERATORS, key) ? OPERATORS[key] : Object.hasOwn(FUNCTIONS, key) ? FUNCTIONS[key] : undefined
  if (resolver === undefined) return { error: `Unknown function ${name}` }
  return resolver(argTypes, Object.hasOwn(OPERATORS, key) ? key : lower)
}

/** The scalar functions users can call by name (for "did you mean"). */
export function functionNames (): readonly string[] {
  return Object.keys(FUNCTIONS)
}

/** Conversions CAST can make besides a type to itself and NULL to anything (exec/function-code.ts castCode compiles them). */
const CASTS: Readonly<Record<string, readonly SqlType[]>> = {
  INTEGER: ['BIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN'],
  BIGINT: ['INTEGER', 'DOUBLE', 'VARCHAR', 'BOOLEAN'],
  DOUBLE: ['INTEGER', 'BIGINT', 'VARCHAR', 'BOOLEAN'],
  VARCHAR: ['INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'],
  BOOLEAN: ['INTEGER', 'BIGINT', 'DOUBLE', 'VARCHAR'],
  DATE: ['TIMESTAMP', 'VARCHAR'],
  TIMESTAMP: ['DATE', 'VARCHAR'],
  INTERVAL: ['VARCHAR']
}

/** Why a value of type `from` cannot be CAST to `to`, or undefined when it can. */
export function castError (from: SqlType, to: SqlType): string | undefined {
  if (from === to || from === 'NULL' || CASTS[from]?.includes(to) === true) return undefined
  return `Cannot cast ${from} to ${to}`
}

const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max'])

/** Whether `name` (any case) is an aggregate function: count, sum, avg, min, max. */
export function isAggregateFunction (name: string): boolean {
  return AGGREGATES.has(name.toLowerCase())
}

/**
 * The result type of an aggregate over an argument of `argType` (undefined for COUNT(*)):
 * COUNT → BIGINT; SUM of INTEGER/BIGINT → BIGINT, of DOUBLE → DOUBLE; AVG → DOUBLE;
 * MIN/MAX → the argument's type. Or why not.
 */
export function aggregateResultType (fn: AggregateFn, argType: SqlType | undefined): SqlType | { readonly error: string } {
  switch (fn) {
    case 'count_star':
    case 'count': return 'BIGINT'
    case 'sum':
      if (argType === 'INTEGER' || argType === 'BIGINT' || argType === 'NULL') return 'BIGINT'
      if (argType === 'DOUBLE') return 'DOUBLE'
      return { error: `No function sum(${argType ?? '*'}); sum takes a number` }
    case 'avg':
      if (argType !== undefined && isNumOrNull(argType)) return 'DOUBLE'
      return { error: `No function avg(${argType ?? '*'}); avg takes a number` }
    case 'min':
    case 'max':
      if (argType === undefined || argType === 'INTERVAL') return { error: `No function ${fn}(${argType ?? '*'})` }
      return argType
  }
}

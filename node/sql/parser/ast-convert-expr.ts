/**
 * The parser library's expressions and data types → meshflow's `Expr` and `TypeName`
 * (node/sql/ast.ts). Parentheses disappear (the tree keeps the grouping); the special
 * call syntaxes (`SUBSTRING(x FROM 2 FOR 3)`, `TRIM(LEADING 'x' FROM s)`,
 * `POSITION('a' IN s)`, `CEIL(x)`, `CURRENT_DATE`) become plain calls.
 */
import type { BinaryOperator, Expr, IntervalUnit, Pos, TypeName } from '../ast.ts'
import { absent, constructName, variant } from './convert-context.ts'
import type { ConvertContext, LibNode } from './convert-context.ts'
import { convertQuery } from './ast-convert-query.ts'

const BINARY: Readonly<Record<string, BinaryOperator>> = {
  Plus: '+',
  Minus: '-',
  Multiply: '*',
  Divide: '/',
  Modulo: '%',
  StringConcat: '||',
  Eq: '=',
  NotEq: '<>',
  Lt: '<',
  LtEq: '<=',
  Gt: '>',
  GtEq: '>=',
  And: 'AND',
  Or: 'OR'
}

const UNITS: Readonly<Record<string, IntervalUnit>> = {
  YEAR: 'YEAR',
  MONTH: 'MONTH',
  DAY: 'DAY',
  HOUR: 'HOUR',
  MINUTE: 'MINUTE',
  SECOND: 'SECOND',
  MILLISECOND: 'MILLISECOND'
}

/** `Minutes`, `MINUTE`, `minutes` → `MINUTE` (Flink writes plurals); undefined if not a unit. */
function intervalUnit (word: string): IntervalUnit | undefined {
  const upper = word.toUpperCase()
  return UNITS[upper] ?? (upper.endsWith('S') ? UNITS[upper.slice(0, -1)] : undefined)
}

/** Converts one library expression. */
export function convertExpr (ctx: ConvertContext, node: LibNode): Expr {
  const [tag, v] = variant(node)
  switch (tag) {
    case 'Identifier': {
      const name = ctx.ident(v)
      return { kind: 'column', table: undefined, name, pos: name.pos }
    }
    case 'CompoundIdentifier': {
      const parts = (v as LibNode[]).map(p => ctx.ident(p))
      const [table, name] = parts
      if (parts.length !== 2 || table === undefined || name === undefined) {
        throw ctx.unsupported(`The name '${parts.map(p => p.name).join('.')}' (only column or table.column)`, ctx.firstPos(v))
      }
      return { kind: 'column', table, name, pos: table.pos }
    }
    case 'Value':
      return convertValue(ctx, v)
    case 'Nested':
      return convertExpr(ctx, v)
    case 'TypedString': {
      const valuePos = ctx.spanPos(v.value?.span) ?? ctx.firstPos(v)
      const pos = ctx.extendBack(valuePos, [null])
      const value = stringValue(v.value?.value)
      if (value === undefined) throw ctx.unsupported('This typed literal', pos)
      return { kind: 'typed-string', type: convertTypeName(ctx, v.data_type, pos), value, pos }
    }
    case 'Interval':
      return convertInterval(ctx, v)
    case 'UnaryOp': {
      const arg = convertExpr(ctx, v.expr)
      const op = v.op === 'Minus' ? '-' : v.op === 'Plus' ? '+' : v.op === 'Not' ? 'NOT' : undefined
      if (op === undefined) throw ctx.unsupported(`The operator ${constructName(String(v.op))}`, arg.pos)
      return { kind: 'unary', op, arg, pos: ctx.extendBack(arg.pos, [op]) }
    }
    case 'BinaryOp': {
      const left = convertExpr(ctx, v.left)
      const right = convertExpr(ctx, v.right)
      const op = BINARY[String(v.op)]
      if (op === undefined) throw ctx.unsupported(`The operator ${constructName(String(variant(v.op)[0]))}`, left.pos)
      return { kind: 'binary', op, left, right, pos: left.pos }
    }
    case 'IsNull':
    case 'IsNotNull': {
      const arg = convertExpr(ctx, v)
      return { kind: 'is-null', arg, negated: tag === 'IsNotNull', pos: arg.pos }
    }
    case 'IsTrue':
    case 'IsNotTrue':
    case 'IsFalse':
    case 'IsNotFalse': {
      const arg = convertExpr(ctx, v)
      return { kind: 'is-bool', arg, value: tag.endsWith('True'), negated: tag.startsWith('IsNot'), pos: arg.pos }
    }
    case 'Between': {
      const arg = convertExpr(ctx, v.expr)
      return { kind: 'between', arg, low: convertExpr(ctx, v.low), high: convertExpr(ctx, v.high), negated: v.negated === true, pos: arg.pos }
    }
    case 'InList': {
      const arg = convertExpr(ctx, v.expr)
      return { kind: 'in-list', arg, list: (v.list as LibNode[]).map(e => convertExpr(ctx, e)), negated: v.negated === true, pos: arg.pos }
    }
    case 'InSubquery': {
      const arg = convertExpr(ctx, v.expr)
      return { kind: 'in-query', arg, query: convertQuery(ctx, v.subquery), negated: v.negated === true, pos: arg.pos }
    }
    case 'Exists': {
      const query = convertQuery(ctx, v.subquery)
      const negated = v.negated === true
      return { kind: 'exists', query, negated, pos: ctx.extendBack(query.pos, negated ? ['NOT', 'EXISTS', '('] : ['EXISTS', '(']) }
    }
    case 'Subquery': {
      const query = convertQuery(ctx, v)
      return { kind: 'subquery', query, pos: ctx.extendBack(query.pos, ['(']) }
    }
    case 'Like':
    case 'ILike':
      return convertLike(ctx, v, tag === 'ILike')
    case 'Case': {
      const pos = ctx.spanPos(v.case_token?.span) ?? ctx.firstPos(v)
      return {
        kind: 'case',
        operand: absent(v.operand) ? undefined : convertExpr(ctx, v.operand),
        whens: (v.conditions as LibNode[]).map(c => ({ when: convertExpr(ctx, c.condition), then: convertExpr(ctx, c.result) })),
        else: absent(v.else_result) ? undefined : convertExpr(ctx, v.else_result),
        pos
      }
    }
    case 'Cast':
      return convertCast(ctx, v)
    case 'Extract': {
      const arg = convertExpr(ctx, v.expr)
      const pos = ctx.extendBack(arg.pos, ['EXTRACT', '(', null, 'FROM'])
      const [field] = variant(v.field)
      if (v.syntax !== 'From' || field === '' || field === 'Custom') throw ctx.unsupported('This EXTRACT field', pos)
      return { kind: 'extract', field: field.toUpperCase(), arg, pos }
    }
    case 'Function':
      return convertFunction(ctx, v)
    case 'Substring': {
      const args = [v.expr, v.substring_from, v.substring_for].filter(a => !absent(a)).map(a => convertExpr(ctx, a))
      return specialCall(ctx, 'SUBSTRING', args)
    }
    case 'Trim': {
      if (!absent(v.trim_characters)) throw ctx.unsupported('TRIM with a list of characters', ctx.firstPos(v))
      const where = v.trim_where === 'Leading' ? 'LTRIM' : v.trim_where === 'Trailing' ? 'RTRIM' : 'TRIM'
      const args = [convertExpr(ctx, v.expr)]
      if (!absent(v.trim_what)) args.push(convertExpr(ctx, v.trim_what))
      return specialCall(ctx, where, args)
    }
    case 'Position':
      // POSITION(needle IN haystack): the arguments in the order written.
      return specialCall(ctx, 'POSITION', [convertExpr(ctx, v.expr), convertExpr(ctx, v.in)])
    case 'Ceil':
    case 'Floor': {
      const arg = convertExpr(ctx, v.expr)
      const [fieldTag, field] = variant(v.field)
      if (!(fieldTag === 'DateTimeField' && field === 'NoDateTime')) throw ctx.unsupported(`${tag.toUpperCase()} with a unit or scale`, arg.pos)
      return specialCall(ctx, tag.toUpperCase(), [arg])
    }
    default:
      throw ctx.unsupported(tag === '' ? 'This expression' : `The expression ${constructName(tag)}`, ctx.firstPos(node))
  }
}

/** A call written with special syntax (`SUBSTRING(… FROM …)`): named by its keyword. */
function specialCall (ctx: ConvertContext, name: string, args: Expr[]): Expr {
  const first = args[0] as Expr
  const pos = ctx.extendBack(first.pos, [name, '('])
  return { kind: 'call', name: { name, quoted: false, pos }, args, distinct: false, pos }
}

/** A quoted string's text from a library `Value`, or undefined when it is not a string. */
function stringValue (value: LibNode): string | undefined {
  const [tag, v] = variant(value)
  switch (tag) {
    case 'SingleQuotedString':
    case 'EscapedStringLiteral':
    case 'NationalStringLiteral':
    case 'DoubleQuotedString':
      return String(v)
    case 'DollarQuotedString':
      return String(v.value)
    default:
      return undefined
  }
}

function convertValue (ctx: ConvertContext, v: LibNode): Expr {
  const pos = ctx.spanPos(v.span) ?? ctx.statementPos()
  const [tag, value] = variant(v.value)
  if (tag === 'Number') return { kind: 'number', text: String(value[0]), pos }
  if (tag === 'Boolean') return { kind: 'boolean', value: value === true, pos }
  if (tag === 'Null') return { kind: 'null', pos }
  const s = stringValue(v.value)
  if (s !== undefined) return { kind: 'string', value: s, pos }
  if (tag === 'Placeholder') throw ctx.unsupported(`The parameter placeholder ${String(value)}`, pos)
  throw ctx.unsupported(`The literal ${constructName(tag)}`, pos)
}

/** `INTERVAL '1' MINUTE`, `INTERVAL 1 DAY`, `INTERVAL '2 hours'`. */
function convertInterval (ctx: ConvertContext, v: LibNode): Expr {
  const inner = variant(v.value)
  const valuePos = ctx.firstPos(v.value)
  const pos = ctx.extendBack(valuePos, ['INTERVAL'])
  if (!absent(v.last_field)) throw ctx.unsupported(`INTERVAL … ${String(variant(v.leading_field)[0]).toUpperCase()} TO ${String(variant(v.last_field)[0]).toUpperCase()}`, pos)
  if (inner[0] !== 'Value') throw ctx.unsupported('An INTERVAL whose value is not a literal', pos)
  const [valueTag, raw] = variant(inner[1].value)
  let text = valueTag === 'Number' ? String(raw[0]) : stringValue(inner[1].value)
  if (text === undefined) throw ctx.unsupported('This INTERVAL value', pos)
  let unit: IntervalUnit | undefined
  if (absent(v.leading_field)) {
    // DuckDB's INTERVAL '2 hours': the unit inside the string.
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s+([A-Za-z]+)\s*$/.exec(text)
    unit = m === null ? undefined : intervalUnit(m[2] as string)
    if (m === null || unit === undefined) throw ctx.syntax(`expected an interval like INTERVAL '1' MINUTE, found '${text}'`, valuePos)
    text = m[1] as string
  } else {
    unit = intervalUnit(variant(v.leading_field)[0])
    if (unit === undefined) throw ctx.unsupported(`The interval unit ${constructName(variant(v.leading_field)[0])}`, pos)
  }
  return { kind: 'interval', value: text.trim(), unit, pos }
}

function convertLike (ctx: ConvertContext, v: LibNode, caseInsensitive: boolean): Expr {
  const arg = convertExpr(ctx, v.expr)
  if (v.any === true) throw ctx.unsupported('LIKE ANY', arg.pos)
  let escape: string | undefined
  if (!absent(v.escape_char)) {
    const raw = v.escape_char
    escape = typeof raw === 'string' ? raw : stringValue(raw.value ?? raw)
    if (escape === undefined) throw ctx.unsupported('This ESCAPE value', arg.pos)
  }
  return { kind: 'like', arg, pattern: convertExpr(ctx, v.pattern), escape, negated: v.negated === true, caseInsensitive, pos: arg.pos }
}

function convertCast (ctx: ConvertContext, v: LibNode): Expr {
  const arg = convertExpr(ctx, v.expr)
  const kind = String(v.kind)
  if (!absent(v.format)) throw ctx.unsupported('CAST … FORMAT', arg.pos)
  const keyword = kind === 'TryCast' ? 'TRY_CAST' : kind === 'SafeCast' ? 'SAFE_CAST' : 'CAST'
  const pos = kind === 'DoubleColon' ? arg.pos : ctx.extendBack(arg.pos, [keyword, '('])
  const typePos = (kind === 'DoubleColon' ? doubleColonTypePos(ctx, arg.pos) : castTypePos(ctx, pos)) ?? pos
  return { kind: 'cast', arg, type: convertTypeName(ctx, v.data_type, typePos), try: kind === 'TryCast' || kind === 'SafeCast', pos }
}

/** Where the type of `CAST(x AS type)` starts: the token after the last top-level `AS`. */
function castTypePos (ctx: ConvertContext, castPos: Pos): Pos | undefined {
  const open = ctx.tokenIndex(castPos) + 1
  let depth = 0
  let lastAs = -1
  for (let i = open; i < ctx.tokens.length; i++) {
    const t = ctx.tokens[i]
    if (t?.kind === 'punct' && t.text === '(') depth++
    else if (t?.kind === 'punct' && t.text === ')') {
      depth--
      if (depth === 0) break
    } else if (depth === 1 && t?.kind === 'word' && t.text.toUpperCase() === 'AS') lastAs = i
  }
  return lastAs === -1 ? undefined : ctx.tokenPos(lastAs + 1)
}

/** Where the type of `x::type` starts: the token after the first `::` outside parentheses after `x`. */
function doubleColonTypePos (ctx: ConvertContext, argPos: Pos): Pos | undefined {
  let depth = 0
  for (let i = ctx.tokenIndex(argPos); i < ctx.tokens.length; i++) {
    const t = ctx.tokens[i]
    if (t?.kind !== 'punct') continue
    if (t.text === '(') depth++
    else if (t.text === ')') depth--
    else if (t.text === '::' && depth === 0) return ctx.tokenPos(i + 1)
    if (depth < 0) return undefined
  }
  return undefined
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  DOUBLEPRECISION: 'DOUBLE',
  FLOAT8: 'DOUBLE',
  FLOAT64: 'DOUBLE',
  FLOAT4: 'REAL',
  CHARACTERVARYING: 'VARCHAR',
  CHARVARYING: 'VARCHAR',
  CHARACTER: 'CHAR',
  BOOL: 'BOOLEAN',
  INT4: 'INTEGER',
  INT8: 'BIGINT',
  INT2: 'SMALLINT',
  INT64: 'BIGINT',
  DEC: 'DECIMAL'
}

/**
 * A library data type → `TypeName`: the variant's name upper case (a few spellings
 * unified: DOUBLE PRECISION → DOUBLE, CHARACTER VARYING → VARCHAR, BOOL → BOOLEAN), and
 * the numbers it was written with (`DECIMAL(10, 2)` → [10, 2], `TIMESTAMP(3)` → [3]).
 */
export function convertTypeName (ctx: ConvertContext, node: LibNode, pos: Pos): TypeName {
  const [tag, payload] = variant(node)
  if (tag === '') throw ctx.unsupported('This data type', pos)
  if (tag === 'Custom') {
    const [nameParts, args] = payload as [LibNode[], string[]]
    const name = nameParts.map(p => String(variant(p)[1]?.value ?? '')).join('.').toUpperCase()
    const numbers = (args ?? []).map(Number)
    if (numbers.some(n => !Number.isInteger(n))) throw ctx.unsupported(`The type ${name}(${args.join(', ')})`, pos)
    return { name, args: numbers, pos }
  }
  if (tag === 'Array' || tag === 'Map' || tag === 'Struct' || tag === 'Tuple' || tag === 'Nested' || tag === 'Union') {
    throw ctx.unsupported(`The type ${tag.toUpperCase()}`, pos)
  }
  let name = tag.toUpperCase()
  name = TYPE_NAMES[name] ?? name
  if (tag === 'Timestamp' && Array.isArray(payload) && payload[1] === 'WithTimeZone') name = 'TIMESTAMP WITH TIME ZONE'
  return { name, args: numbersIn(payload), pos }
}

/** The numbers in a data type's payload, in order (lengths, precision, scale). */
function numbersIn (payload: LibNode): number[] {
  const out: number[] = []
  const visit = (v: LibNode): void => {
    if (typeof v === 'number') out.push(v)
    else if (Array.isArray(v)) v.forEach(visit)
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit)
  }
  visit(payload)
  return out
}

/** `name(args)`, `COUNT(*)`, `COUNT(DISTINCT x)`, `CURRENT_DATE`. */
function convertFunction (ctx: ConvertContext, v: LibNode): Expr {
  const name = ctx.objectName(v.name, 'Function name')
  const pos = name.pos
  if (!absent(v.over)) throw ctx.unsupported(`The window function ${name.name}(…) OVER`, pos)
  if (!absent(v.filter)) throw ctx.unsupported(`${name.name}(…) FILTER (WHERE …)`, pos)
  if (!absent(v.within_group)) throw ctx.unsupported(`${name.name}(…) WITHIN GROUP`, pos)
  if (!absent(v.null_treatment)) throw ctx.unsupported(`${name.name}(…) IGNORE/RESPECT NULLS`, pos)
  if (!absent(v.parameters)) throw ctx.unsupported(`Parametric function ${name.name}`, pos)
  if (absent(v.args)) return { kind: 'call', name, args: [], distinct: false, pos }
  const [argsTag, list] = variant(v.args)
  if (argsTag !== 'List') throw ctx.unsupported(`${name.name}(…) with a subquery argument`, pos)
  if (!absent(list.clauses)) throw ctx.unsupported(`${name.name}(…) with ORDER BY, LIMIT or SEPARATOR inside`, pos)
  const distinct = list.duplicate_treatment === 'Distinct'
  const args: Expr[] = ((list.args ?? []) as LibNode[]).map(a => {
    const [argTag, arg] = variant(a)
    if (argTag !== 'Unnamed') throw ctx.unsupported(`A named argument of ${name.name}`, ctx.firstPos(a) ?? pos)
    const [exprTag, e] = variant(arg)
    if (exprTag === 'Expr') return convertExpr(ctx, e)
    if (exprTag === 'Wildcard') return { kind: 'star', table: undefined, pos: starPos(ctx, name.pos) }
    throw ctx.unsupported(`${constructName(exprTag)} as an argument of ${name.name}`, pos)
  })
  return { kind: 'call', name, args, distinct, pos }
}

/** The `*` of `COUNT(*)` (the library gives it no span): the token after the `(`. */
function starPos (ctx: ConvertContext, namePos: Pos): Pos {
  const i = ctx.tokenIndex(namePos)
  const star = ctx.tokens[i + 2]
  return star?.text === '*' ? (ctx.tokenPos(i + 2) ?? namePos) : namePos
}

/**
 * The one code generator of SQL expressions: a BoundExpr becomes JavaScript statements
 * that leave its value (null for NULL) in a variable. How input i is read is pluggable (a
 * Leaf): `row[i]` for rows, a typed-array read at row index `i` for segment columns — so
 * rows and column batches run the same code for the same expression.
 *
 * Null checks are compiled only for inputs that can be NULL; AND, OR, CASE and COALESCE
 * evaluate lazily; constants are inlined (names and strings enter as JSON literals),
 * objects (intervals, IN lists, LIKE matchers) are passed in the `K` array.
 *
 * @example
 * const g = new Codegen(rowLeaf)
 * const v = g.expr(e)            // statements in g.lines, value in variable v
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { SqlType } from '../sql-types.ts'
import { castCode, compareDoubles, NON_STRICT, strictCallCode } from './function-code.ts'
import { R } from './runtime.ts'

/** How an input is read: a JS expression of its value, null when NULL. */
export interface Leaf {
  read(index: number, type: SqlType, nullable: boolean): string
}

/** Inputs of rows: `row[i]` (undefined read as NULL). */
export const rowLeaf: Leaf = {
  read: (index, _type, nullable) => nullable ? `(row[${index}] ?? null)` : `row[${index}]`
}

/** A JS literal of a primitive constant, or undefined when it must go through K. */
export function literal (value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'NaN'
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity'
      return Object.is(value, -0) ? '-0' : String(value)
    case 'bigint': return `${value}n`
    case 'string': return JSON.stringify(value)
    case 'boolean': return String(value)
  }
  return value === null || value === undefined ? 'null' : undefined
}

/**
 * The value of a constant, or of a cast of one (evaluated now, as the binder's implicit
 * casts of literals are), or undefined when `e` is not constant or the cast fails (then
 * it fails, or gives NULL, at run time as written).
 */
export function constantOf (e: BoundExpr): { readonly value: unknown } | undefined {
  if (e.kind === 'const') return { value: e.value }
  if (e.kind !== 'cast') return undefined
  const arg = constantOf(e.arg)
  if (arg === undefined) return undefined
  if (arg.value === null) return { value: null }
  try {
    // the value enters as an argument, never as code
    // eslint-disable-next-line no-new-func -- one conversion of types from a fixed table (castCode)
    const convert = new Function('R', 'x', `return ${castCode('x', e.arg.type, e.type)}`) as (r: typeof R, x: unknown) => unknown
    return { value: convert(R, arg.value) }
  } catch {
    return undefined
  }
}

/** An expression's cache key: its JSON with bigints and non-finite numbers kept apart. */
export function exprKey (value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return { $big: String(v) }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) }
    if (typeof v === 'number' && Object.is(v, -0)) return { $num: '-0' }
    return v
  })
}

/** A statement-emitting code generator over one Leaf (see the module comment). */
export class Codegen {
  readonly lines: string[] = []
  readonly consts: unknown[] = []
  readonly #leaf: Leaf
  #n = 0
  #depth = 0
  /** Inputs read at the top level (depth 0), by index: read once, reused. */
  readonly #reads = new Map<number, string>()
  /** Calls computed at the top level, by their JSON: computed once, reused. */
  readonly #calls = new Map<string, string>()

  constructor (leaf: Leaf) {
    this.#leaf = leaf
  }

  /** A fresh variable name. */
  fresh (prefix = 'v'): string {
    return `${prefix}${this.#n++}`
  }

  /** A constant passed through K, as an expression. */
  constant (value: unknown): string {
    this.consts.push(value)
    return `K[${this.consts.length - 1}]`
  }

  emit (line: string): void {
    this.lines.push(`${'  '.repeat(this.#depth)}${line}`)
  }

  /** Emits `head {`, the body one level deeper, then `}`. */
  block (head: string, body: () => void): void {
    this.emit(`${head} {`)
    this.#depth++
    body()
    this.#depth--
    this.emit('}')
  }

  /** The value of `e`: a variable or a literal. */
  expr (e: BoundExpr): string {
    switch (e.kind) {
      case 'input': {
        // the index enters the code: only a non-negative integer may
        if (!Number.isSafeInteger(e.index) || e.index < 0) throw new TypeError(`Input index must be a non-negative integer, got ${String(e.index)}`)
        const known = this.#reads.get(e.index)
        if (known !== undefined) return known
        const v = this.fresh()
        this.emit(`const ${v} = ${this.#leaf.read(e.index, e.type, e.nullable)}`)
        if (this.#depth === 0) this.#reads.set(e.index, v)
        return v
      }
      case 'const': return literal(e.value) ?? this.constant(e.value)
      case 'cast': {
        const folded = constantOf(e)
        if (folded !== undefined) return literal(folded.value) ?? this.constant(folded.value)
        return this.#cast(e)
      }
      case 'case': return this.#case(e)
      case 'call': {
        if (this.#depth > 0) return NON_STRICT.has(e.fn) ? this.#nonStrict(e) : this.#strict(e)
        const key = exprKey(e)
        const known = this.#calls.get(key)
        if (known !== undefined) return known
        const v = NON_STRICT.has(e.fn) ? this.#nonStrict(e) : this.#strict(e)
        if (this.#depth === 0 && /^v\d+$/.test(v)) this.#calls.set(key, v)
        return v
      }
    }
  }

  /** `let r = null; if (args not null) r = code` — the check only for args that can be NULL. */
  #guarded (args: readonly BoundExpr[], vars: readonly string[], code: () => string): string {
    const r = this.fresh()
    const checks = args.map((a, i) => a.nullable || vars[i] === 'null' ? `${vars[i]} !== null` : '').filter(c => c !== '')
    if (checks.length === 0) {
      this.emit(`const ${r} = ${code()}`)
      return r
    }
    this.emit(`let ${r} = null`)
    this.block(`if (${checks.join(' && ')})`, () => this.emit(`${r} = ${code()}`))
    return r
  }

  #strict (e: Extract<BoundExpr, { kind: 'call' }>): string {
    const types = e.args.map(a => a.type)
    const { fn } = e
    if ((fn === 'like' || fn === 'ilike') && e.args.slice(1).every(a => typeof constantOf(a)?.value === 'string')) {
      // a constant pattern is compiled once
      const [p, esc] = e.args.slice(1).map(a => constantOf(a)!.value as string)
      const m = this.constant(R.likeMatcher(p!, esc ?? null, fn === 'ilike'))
      const x = this.expr(e.args[0]!)
      return this.#guarded([e.args[0]!], [x], () => `${m}(${x})`)
    }
    const vars = e.args.map(a => this.expr(a))
    if (fn in COMPARISONS && types[0] === 'DOUBLE') {
      const num = (a: BoundExpr): boolean => { const c = constantOf(a)?.value; return typeof c === 'number' && !Number.isNaN(c) }
      return this.#guarded(e.args, vars, () => compareDoubles(fn, vars[0]!, vars[1]!, num(e.args[0]!), num(e.args[1]!)))
    }
    return this.#guarded(e.args, vars, () => strictCallCode(fn, vars, types, e.type))
  }

  #cast (e: Extract<BoundExpr, { kind: 'cast' }>): string {
    const x = this.expr(e.arg)
    if (x === 'null') return 'null'
    if (!e.try) return this.#guarded([e.arg], [x], () => castCode(x, e.arg.type, e.type))
    const r = this.fresh()
    this.emit(`let ${r} = null`)
    this.block(`if (${x} !== null) try`, () => this.emit(`${r} = ${castCode(x, e.arg.type, e.type)}`))
    this.emit('catch { }')
    return r
  }

  #case (e: Extract<BoundExpr, { kind: 'case' }>): string {
    const r = this.fresh()
    this.emit(`let ${r} = null`)
    const branch = (i: number): void => {
      if (i === e.whens.length) {
        if (e.else !== undefined) this.emit(`${r} = ${this.expr(e.else)}`)
        return
      }
      const w = this.expr(e.whens[i]!.when)
      this.block(`if (${w} === true)`, () => this.emit(`${r} = ${this.expr(e.whens[i]!.then)}`))
      if (i + 1 < e.whens.length || e.else !== undefined) this.block('else', () => branch(i + 1))
    }
    this.#nested(() => branch(0))
    return r
  }

  /** Runs `body` as if inside a block: its input reads are not reused outside. */
  #nested (body: () => void): void {
    const saved = new Map(this.#reads)
    const calls = new Map(this.#calls)
    body()
    this.#reads.clear()
    for (const [k, v] of saved) this.#reads.set(k, v)
    this.#calls.clear()
    for (const [k, v] of calls) this.#calls.set(k, v)
  }

  #nonStrict (e: Extract<BoundExpr, { kind: 'call' }>): string {
    const args = e.args
    switch (e.fn) {
      case 'is_null': return `(${this.expr(args[0]!)} === null)`
      case 'is_not_null': return `(${this.expr(args[0]!)} !== null)`
      case 'is_true': return `(${this.expr(args[0]!)} === true)`
      case 'is_false': return `(${this.expr(args[0]!)} === false)`
      case 'and':
      case 'or': return this.#logical(e.fn, args)
      case 'coalesce': {
        const r = this.fresh()
        this.emit(`let ${r} = ${this.expr(args[0]!)}`)
        const rest = (i: number): void => {
          if (i === args.length) return
          this.block(`if (${r} === null)`, () => {
            this.emit(`${r} = ${this.expr(args[i]!)}`)
            rest(i + 1)
          })
        }
        rest(1)
        return r
      }
      case 'concat': {
        const parts = args.map(a => {
          const v = this.expr(a)
          return a.nullable ? `(${v} === null ? "" : ${v})` : v
        })
        return `(${['""', ...parts].join(' + ')})`
      }
      case 'greatest':
      case 'least': {
        const r = this.fresh()
        const vars = args.map(a => this.expr(a))
        this.emit(`let ${r} = ${vars[0]}`)
        const better = e.type === 'DOUBLE'
          ? (v: string): string => compareDoubles(e.fn === 'greatest' ? 'gt' : 'lt', v, r, false, false)
          : (v: string): string => `${v} ${e.fn === 'greatest' ? '>' : '<'} ${r}`
        for (const v of vars.slice(1)) this.emit(`if (${v} !== null && (${r} === null || ${better(v)})) ${r} = ${v}`)
        return r
      }
      case 'nullif': {
        const [a, b] = [this.expr(args[0]!), this.expr(args[1]!)]
        const eq = e.args[0]!.type === 'DOUBLE' ? compareDoubles('eq', a, b, false, false) : `${a} === ${b}`
        return `(${a} === null ? null : ${b} !== null && ${eq} ? null : ${a})`
      }
      case 'in': return this.#in(e)
    }
    throw new Error(`Unhandled call ${e.fn}`)
  }

  /** Three-valued AND/OR over any number of arguments, stopping at the first deciding value. */
  #logical (fn: 'and' | 'or', args: readonly BoundExpr[]): string {
    const decide = fn === 'and' ? 'false' : 'true'
    const r = this.fresh()
    this.emit(`let ${r} = ${this.expr(args[0]!)}`)
    const rest = (i: number): void => {
      if (i === args.length) return
      this.block(`if (${r} !== ${decide})`, () => {
        const v = this.expr(args[i]!)
        this.emit(`if (${v} === ${decide}) ${r} = ${decide}`)
        this.emit(`else if (${v} === null) ${r} = null`)
        rest(i + 1)
      })
    }
    this.#nested(() => rest(1))
    return r
  }

  #in (e: Extract<BoundExpr, { kind: 'call' }>): string {
    const [head, ...list] = e.args
    const x = this.expr(head!)
    const r = this.fresh()
    const values = list.map(constantOf)
    if (values.every(v => v !== undefined && v.value !== null && typeof v.value !== 'object')) {
      const set = this.constant(new Set(values.map(v => v!.value)))
      this.emit(`const ${r} = ${x} === null ? null : ${set}.has(${x})`)
      return r
    }
    this.emit(`let ${r} = ${x} === null ? null : false`)
    this.block(`if (${x} !== null)`, () => {
      this.#nested(() => {
        const eq = (v: string): string => head!.type === 'DOUBLE' ? compareDoubles('eq', x, v, false, false) : `${x} === ${v}`
        const step = (i: number): void => {
          if (i === list.length) return
          const v = this.expr(list[i]!)
          this.block(`if (${eq(v)})`, () => this.emit(`${r} = true`))
          this.block('else', () => {
            this.emit(`if (${v} === null) ${r} = null`)
            step(i + 1)
          })
        }
        step(0)
      })
    })
    return r
  }
}

const COMPARISONS: Readonly<Record<string, true>> = { eq: true, ne: true, lt: true, le: true, gt: true, ge: true }

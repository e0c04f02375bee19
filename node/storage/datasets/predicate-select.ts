/**
 * The vectorised filter of the fast scan path: a predicate over a segment's columnar view
 * (segment-reader.ts) gives the indexes of the rows it is true for. Each leaf runs one
 * tight loop over its column's typed array into a byte per row (0 false, 1 true, 2
 * unknown), compiled once per (array kind, op) so every loop stays monomorphic; a string
 * leaf is evaluated once per dictionary entry and mapped through the indexes; nulls then
 * turn the leaf's bytes unknown; and/or/not combine the bytes by SQL's three-valued logic
 * (predicate.ts). No allocation per row.
 *
 * @example
 * const view = readSegment(bytes, schema, { columns: ['shipdate', 'price'] })
 * const selected = selectRows(view, { op: 'between', column: 'shipdate', low, high }) // Uint32Array of row indexes
 */
import type { ColumnType, Predicate, Scalar } from '../../api/dataset-schema.ts'
import { InvalidPredicateError } from './errors.ts'
import { FALSE, TRUE, UNKNOWN, leafTest, literalFor } from './predicate.ts'
import { stringAt, type ColumnView, type SegmentView } from './segment-reader.ts'

type Leaf = Exclude<Predicate, { op: 'and' | 'or' } | { op: 'not' }>
type ValueLeaf = Exclude<Leaf, { op: 'is-null' | 'is-not-null' }>
type Loop = (v: ArrayLike<unknown>, n: number, out: Uint8Array, a: unknown, b: unknown, set: Set<unknown> | undefined) => void

const CONDITIONS: Readonly<Record<ValueLeaf['op'], string>> = {
  '=': 'x === a',
  '!=': 'x !== a',
  '<': 'x < a',
  '<=': 'x <= a',
  '>': 'x > a',
  '>=': 'x >= a',
  between: 'x >= a && x <= b',
  in: 'set.has(x)'
}

const loops = new Map<string, Loop>()

/** The loop of one op over one kind of array (the key keeps each compiled loop monomorphic). */
function loopOf (kind: string, op: ValueLeaf['op']): Loop {
  const key = `${kind} ${op}`
  let loop = loops.get(key)
  if (loop === undefined) {
    // eslint-disable-next-line no-new-func -- one loop per (array kind, op), from the fixed texts above
    loop = new Function('v', 'n', 'out', 'a', 'b', 'set', `for (let i = 0; i < n; i++) { const x = v[i]; out[i] = (${CONDITIONS[op]}) ? 1 : 0 }`) as Loop
    loops.set(key, loop)
  }
  return loop
}

/** out[i] = lut[indexes[i]], one loop per index width. */
const mapLoops = new Map<string, (indexes: ArrayLike<number>, n: number, out: Uint8Array, lut: Uint8Array) => void>()
function mapThrough (indexes: Uint8Array | Uint16Array | Uint32Array, n: number, out: Uint8Array, lut: Uint8Array): void {
  const key = indexes.constructor.name
  let loop = mapLoops.get(key)
  if (loop === undefined) {
    // eslint-disable-next-line no-new-func -- as loopOf
    loop = new Function('x', 'n', 'out', 'lut', 'for (let i = 0; i < n; i++) out[i] = lut[x[i]]') as (indexes: ArrayLike<number>, n: number, out: Uint8Array, lut: Uint8Array) => void
    mapLoops.set(key, loop)
  }
  loop(indexes, n, out, lut)
}

/**
 * A leaf as a test of row i of plainly stored strings. Equality (=, !=, in) compares the
 * UTF-8 bytes in place, allocating nothing; an order comparison decodes the row's string
 * (UTF-8 byte order is not JS's UTF-16 order for every pair of strings).
 */
function utf8RowTest (column: { readonly offsets: Uint32Array, readonly bytes: Buffer }, p: ValueLeaf): (i: number) => boolean {
  const { offsets, bytes } = column
  const equals = (literal: Uint8Array) => (i: number): boolean => {
    const start = offsets[i]!
    if (offsets[i + 1]! - start !== literal.length) return false
    for (let k = 0; k < literal.length; k++) if (bytes[start + k] !== literal[k]) return false
    return true
  }
  switch (p.op) {
    case '=': return equals(Buffer.from(p.value as string))
    case '!=': {
      const eq = equals(Buffer.from(p.value as string))
      return i => !eq(i)
    }
    case 'in': {
      const tests = [...new Set(p.values as readonly string[])].map(v => equals(Buffer.from(v)))
      return i => {
        for (let t = 0; t < tests.length; t++) if (tests[t]!(i)) return true
        return false
      }
    }
    default: {
      const test = leafTest('string', p)
      return i => test(stringAt(column, i))
    }
  }
}

function columnFor (view: SegmentView, name: string): ColumnView {
  const column = view.columns.get(name)
  if (column === undefined) throw new InvalidPredicateError(`The predicate reads column '${name}', which the view does not hold (read it with the scan's columns)`, name)
  return column
}

/** Marks every null row of `out` unknown. */
function overlayNulls (nulls: Uint8Array | undefined, n: number, out: Uint8Array): void {
  if (nulls === undefined) return
  for (let byte = 0; byte < nulls.length; byte++) {
    const bits = nulls[byte]!
    if (bits === 0) continue
    const base = byte << 3
    for (let k = 0; k < 8; k++) if (((bits >>> k) & 1) === 1 && base + k < n) out[base + k] = UNKNOWN
  }
}

function isNull (nulls: Uint8Array | undefined, i: number): boolean {
  return nulls !== undefined && ((nulls[i >>> 3]! >>> (i & 7)) & 1) === 1
}

function evalLeaf (view: SegmentView, p: Leaf, n: number): Uint8Array {
  const column = columnFor(view, p.column)
  const out = new Uint8Array(n)
  if (p.op === 'is-null' || p.op === 'is-not-null') {
    const yes = p.op === 'is-null' ? TRUE : FALSE
    out.fill(1 - yes)
    if (column.nulls !== undefined) for (let i = 0; i < n; i++) if (isNull(column.nulls, i)) out[i] = yes
    return out
  }
  evalValueLeaf(column, p as ValueLeaf, n, out)
  overlayNulls(column.nulls, n, out)
  return out
}

/** A numeric leaf's literals in the column's type: `a` (and `b` for between), or the set of `in`. */
function numericLiterals (type: ColumnType, p: ValueLeaf): { a: unknown, b: unknown, set: Set<unknown> | undefined } {
  const lit = (v: Scalar): Scalar => literalFor(type, v)
  if (p.op === 'between') return { a: lit(p.low), b: lit(p.high), set: undefined }
  // NaN equals nothing (a Set would match it)
  if (p.op === 'in') return { a: undefined, b: undefined, set: new Set(p.values.map(lit).filter(v => v === v)) }
  return { a: lit(p.value), b: undefined, set: undefined }
}

function evalValueLeaf (column: ColumnView, p: ValueLeaf, n: number, out: Uint8Array): void {
  switch (column.kind) {
    case 'float64':
    case 'int32':
    case 'int64': {
      const { a, b, set } = numericLiterals(column.type, p)
      loopOf(column.kind, p.op)(column.values, n, out, a, b, set)
      break
    }
    case 'bits': {
      const test = leafTest(column.type, p)
      const lut = Uint8Array.of(test(false) ? 1 : 0, test(true) ? 1 : 0)
      const bits = column.bits
      for (let i = 0; i < n; i++) out[i] = lut[(bits[i >>> 3]! >>> (i & 7)) & 1]!
      break
    }
    case 'dict': {
      const test = leafTest(column.type, p)
      const lut = new Uint8Array(Math.max(1, column.dictionary.length))
      for (let k = 0; k < column.dictionary.length; k++) lut[k] = test(column.dictionary[k]!) ? 1 : 0
      mapThrough(column.indexes, n, out, lut)
      break
    }
    case 'utf8': {
      const test = utf8RowTest(column, p)
      for (let i = 0; i < n; i++) if (!isNull(column.nulls, i)) out[i] = test(i) ? 1 : 0
      break
    }
  }
}

// three-valued and/or/not as tables indexed by a * 3 + b (0 false, 1 true, 2 unknown)
const AND = Uint8Array.of(0, 0, 0, 0, 1, 2, 0, 2, 2)
const OR = Uint8Array.of(0, 1, 2, 1, 1, 1, 2, 1, 2)
const NOT = Uint8Array.of(1, 0, 2)

function evalNode (view: SegmentView, p: Predicate, n: number): Uint8Array {
  switch (p.op) {
    case 'and':
    case 'or': {
      if (p.args.length === 0) return new Uint8Array(n).fill(p.op === 'and' ? TRUE : FALSE)
      const table = p.op === 'and' ? AND : OR
      const out = evalNode(view, p.args[0]!, n)
      for (let j = 1; j < p.args.length; j++) {
        const next = evalNode(view, p.args[j]!, n)
        for (let i = 0; i < n; i++) out[i] = table[out[i]! * 3 + next[i]!]!
      }
      return out
    }
    case 'not': {
      const out = evalNode(view, p.arg, n)
      for (let i = 0; i < n; i++) out[i] = NOT[out[i]!]!
      return out
    }
    default: return evalLeaf(view, p as Leaf, n)
  }
}

/** The leaves of a conjunction (nested `and`s of leaves), or undefined when the predicate is not one. */
function conjunction (p: Predicate, into: Leaf[]): Leaf[] | undefined {
  if (p.op === 'and') {
    for (const a of p.args) if (conjunction(a, into) === undefined) return undefined
    return into
  }
  if (p.op === 'or' || p.op === 'not') return undefined
  into.push(p as Leaf)
  return into
}

/** One leaf of a fused conjunction: its condition (on row i) and what the condition reads. */
interface Term {
  /** Condition text over v{j}, n{j}, a{j}, b{j}, s{j} and i. */
  readonly code: string
  readonly v: unknown
  readonly nulls: Uint8Array | undefined
  readonly a: unknown
  readonly b: unknown
  readonly set: Set<unknown> | undefined
}

const NUMERIC: Readonly<Record<ValueLeaf['op'], (j: number) => string>> = {
  '=': j => `v${j}[i] === a${j}`,
  '!=': j => `v${j}[i] !== a${j}`,
  '<': j => `v${j}[i] < a${j}`,
  '<=': j => `v${j}[i] <= a${j}`,
  '>': j => `v${j}[i] > a${j}`,
  '>=': j => `v${j}[i] >= a${j}`,
  between: j => `(v${j}[i] >= a${j} && v${j}[i] <= b${j})`,
  in: j => `s${j}.has(v${j}[i])`
}

/** The leaf as a term of a fused loop, or undefined for plainly stored strings (tested row by row after). */
function termOf (view: SegmentView, p: Leaf, j: number): Term | undefined {
  const column = columnFor(view, p.column)
  const nulls = column.nulls
  const isNullCode = `((n${j}[i >>> 3] >>> (i & 7)) & 1) === 1`
  if (p.op === 'is-null' || p.op === 'is-not-null') {
    const code = nulls === undefined ? String(p.op === 'is-not-null') : p.op === 'is-null' ? isNullCode : `!(${isNullCode})`
    return { code, v: undefined, nulls, a: undefined, b: undefined, set: undefined }
  }
  const q = p as ValueLeaf
  const guard = (code: string): string => nulls === undefined ? code : `!(${isNullCode}) && ${code}`
  switch (column.kind) {
    case 'float64':
    case 'int32':
    case 'int64': {
      const { a, b, set } = numericLiterals(column.type, q)
      return { code: guard(NUMERIC[q.op](j)), v: column.values, nulls, a, b, set }
    }
    case 'bits': {
      const test = leafTest(column.type, q)
      const lut = Uint8Array.of(test(false) ? 1 : 0, test(true) ? 1 : 0)
      return { code: guard(`a${j}[(v${j}[i >>> 3] >>> (i & 7)) & 1] === 1`), v: column.bits, nulls, a: lut, b: undefined, set: undefined }
    }
    case 'dict': {
      const test = leafTest(column.type, q)
      const lut = new Uint8Array(Math.max(1, column.dictionary.length))
      for (let k = 0; k < column.dictionary.length; k++) lut[k] = test(column.dictionary[k]!) ? 1 : 0
      return { code: guard(`a${j}[v${j}[i]] === 1`), v: column.indexes, nulls, a: lut, b: undefined, set: undefined }
    }
    case 'utf8': return undefined
  }
}

type Fused = (terms: readonly Term[], n: number, sel: Uint32Array) => number
const fusedLoops = new Map<string, Fused>()
const MAX_FUSED = 256

/**
 * One loop testing every term per row, writing the passing rows' indexes to sel: the loop
 * a person would write for the conjunction. Compiled per shape (the conditions' texts and
 * the arrays' kinds); literals and arrays are arguments, so one compiled loop serves every
 * segment and every value.
 */
function fusedLoop (terms: readonly Term[]): Fused {
  const kinds = terms.map(t => (t.v as object | undefined)?.constructor.name ?? '-')
  const key = JSON.stringify([terms.map(t => t.code), kinds])
  let loop = fusedLoops.get(key)
  if (loop === undefined) {
    const body = [
      ...terms.map((_t, j) => `const v${j} = terms[${j}].v, n${j} = terms[${j}].nulls, a${j} = terms[${j}].a, b${j} = terms[${j}].b, s${j} = terms[${j}].set`),
      'let k = 0',
      `for (let i = 0; i < n; i++) if (${terms.map(t => `(${t.code})`).join(' && ')}) sel[k++] = i`,
      'return k'
    ].join('\n')
    // eslint-disable-next-line no-new-func -- as loopOf: conditions from the fixed texts above, values as arguments
    loop = new Function('terms', 'n', 'sel', body) as Fused
    if (fusedLoops.size < MAX_FUSED) fusedLoops.set(key, loop)
  }
  return loop
}

/** Keeps the rows of sel[0, n) whose plainly stored string passes the leaf; returns how many. */
function refineStrings (view: SegmentView, p: ValueLeaf, n: number, sel: Uint32Array): number {
  const column = columnFor(view, p.column)
  if (column.kind !== 'utf8') throw new InvalidPredicateError(`Column '${p.column}' is not stored as plain strings`, p.column)
  const test = utf8RowTest(column, p)
  let k = 0
  for (let j = 0; j < n; j++) {
    const i = sel[j]!
    if (!isNull(column.nulls, i) && test(i)) sel[k++] = i
  }
  return k
}

/**
 * The indexes (ascending) of the rows of `view` the predicate is true for. The view must
 * hold every column the predicate reads; the predicate should have been validated against
 * the schema (validatePredicate). A conjunction of leaves (the usual push-down) runs as one
 * compiled loop testing every leaf per row (leaves on plainly stored strings then narrow
 * its result); anything else is evaluated three-valued, a byte per row and node.
 *
 * @throws InvalidPredicateError when the predicate reads a column the view does not hold
 */
export function selectRows (view: SegmentView, predicate: Predicate): Uint32Array {
  const n = view.rows
  const leaves = conjunction(predicate, [])
  if (leaves !== undefined) {
    const sel = new Uint32Array(n)
    const terms: Term[] = []
    const strings: ValueLeaf[] = []
    for (const leaf of leaves) {
      const term = termOf(view, leaf, terms.length)
      if (term === undefined) strings.push(leaf as ValueLeaf)
      else terms.push(term)
    }
    let count = n
    if (terms.length > 0) count = fusedLoop(terms)(terms, n, sel)
    else for (let i = 0; i < n; i++) sel[i] = i
    for (let j = 0; j < strings.length && count > 0; j++) count = refineStrings(view, strings[j]!, count, sel)
    return count === n ? sel : sel.slice(0, count)
  }
  const tri = evalNode(view, predicate, n)
  let count = 0
  for (let i = 0; i < n; i++) if (tri[i] === TRUE) count++
  const selected = new Uint32Array(count)
  let k = 0
  for (let i = 0; i < n; i++) if (tri[i] === TRUE) selected[k++] = i
  return selected
}

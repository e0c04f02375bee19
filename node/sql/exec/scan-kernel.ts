/**
 * The vectorized leaf of SQL over one dataset: per segment, the filter runs over the
 * columns into a selection vector (an Int32Array of row indexes), then the outputs are
 * computed for the selected rows only, or folded into per-group accumulators (a filter that
 * keeps most rows runs inside the folding loop instead: one pass). The code is
 * codegen.ts's over a column leaf (typed-array reads, null bitmaps, dictionaries), generated
 * once per query and column encodings (and whether each column has nulls in the segment:
 * columns without nulls get no null checks, nor do the expressions over them) and cached.
 *
 * - A filter conjunct that reads one dictionary-encoded column is evaluated once per
 *   dictionary entry (and once for NULL) into a table the row loop indexes by code.
 * - Group keys that are dictionary (or boolean) columns find their accumulator through a
 *   per-segment table indexed by the codes (as columnar-aggregate-scan.ts); other keys
 *   through a Map (a composite key's text for several).
 *
 * The partials (`[rawKey, acc]`) are those of sqlAggregateCombiner for the same rows.
 *
 * @example
 * const kernel = new ScanKernel(schema, { columns: ['price', 'discount'], filter, aggregate: { groupBy: [], aggregates } })
 * kernel.fold(readSegment(bytes, schema, { columns: kernel.columns }))
 * kernel.drain() // [[undefined, acc]]
 */
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import type { Partial } from '../../runtime/operators/batch/combiner.ts'
import { columnOf } from '../../storage/datasets/dataset-schema.ts'
import type { ColumnView, SegmentView } from '../../storage/datasets/segment-reader.ts'
import { input, type AggregateCall, type BoundExpr } from '../bound-expression.ts'
import { sqlTypeOfColumn } from '../sql-types.ts'
import { aggregateCode } from './aggregate-code.ts'
import { Codegen, exprKey, type Leaf } from './codegen.ts'
import { build, cached, compileRowPredicate, compositeKeyCode } from './compile-expression.ts'
import { compileAggregates } from './sql-aggregates.ts'

/** Above this share of rows kept, a filter runs inside the folding loop rather than into a selection first. */
const FUSE_ABOVE = 0.5

/** Most slots of a per-segment key table (product of the key columns' dictionary sizes + 1). */
const MAX_SLOTS = 1 << 14

/** What the kernel computes over the columns it reads (expression input i is `columns[i]`). */
export interface ScanQuery {
  readonly columns: readonly string[]
  readonly filter?: BoundExpr | undefined
  readonly outputs?: readonly BoundExpr[] | undefined
  readonly aggregate?: { readonly groupBy: readonly BoundExpr[], readonly aggregates: readonly AggregateCall[] } | undefined
  /** Aggregating: above this share of a segment's rows kept, the next segment's filter runs inside the folding loop (default 0.5; 0 always, past 1 never). */
  readonly fuseAbove?: number | undefined
}

type Filter = (cols: readonly ColumnView[], count: number, sel: Int32Array, tables: readonly Uint8Array[]) => number
type Project = (cols: readonly ColumnView[], sel: Int32Array | null, from: number, n: number, out: unknown[][]) => void
type Tables = readonly Uint8Array[]
type FoldAll = (cols: readonly ColumnView[], sel: Int32Array | null, n: number, tables: Tables, acc: unknown[]) => void
type FoldSlots = (cols: readonly ColumnView[], sel: Int32Array | null, n: number, tables: Tables, table: (Partial | undefined)[], make: (code: number) => Partial, nullCodes: Int32Array, strides: Int32Array) => void
type FoldMap = (cols: readonly ColumnView[], sel: Int32Array | null, n: number, tables: Tables, groups: Map<unknown, Partial>, make: (raw: unknown, mapKey: unknown) => Partial) => void

/** The encodings of a segment's columns, as the generated code depends on them. */
const encodingOf = (cols: readonly ColumnView[]): string => cols.map(c => `${c.kind}${c.nulls === undefined ? '' : '?'}`).join(',')

const isNull = (j: number): string => `((n${j}[i >>> 3] >>> (i & 7)) & 1) === 1`

/** The column leaf: input j read at row index `i` from the bound arrays (see setup). */
function columnLeaf (cols: readonly ColumnView[]): Leaf {
  return {
    read (j) {
      const c = cols[j]!
      let value: string
      switch (c.kind) {
        case 'float64':
        case 'int32':
        case 'int64': value = `c${j}[i]`; break
        case 'bits': value = `((c${j}[i >>> 3] >>> (i & 7)) & 1) === 1`; break
        case 'dict': value = `d${j}[c${j}[i]]`; break
        case 'utf8': value = `b${j}.toString("utf8", c${j}[i], c${j}[i + 1])`; break
      }
      return c.nulls === undefined ? value : `(${isNull(j)} ? null : ${value})`
    }
  }
}

/** Statements binding each column's arrays for the column leaf. */
function setup (cols: readonly ColumnView[]): string[] {
  return cols.flatMap((c, j) => {
    const lines = c.nulls === undefined ? [] : [`const n${j} = cols[${j}].nulls`]
    switch (c.kind) {
      case 'float64':
      case 'int32':
      case 'int64': lines.push(`const c${j} = cols[${j}].values`); break
      case 'bits': lines.push(`const c${j} = cols[${j}].bits`); break
      case 'dict': lines.push(`const c${j} = cols[${j}].indexes`, `const d${j} = cols[${j}].dictionary`); break
      case 'utf8': lines.push(`const c${j} = cols[${j}].offsets`, `const b${j} = cols[${j}].bytes`); break
    }
    return lines
  })
}

/** Calls that can be NULL over non-NULL arguments. */
const NULL_FROM_VALUES = new Set(['mod', 'nullif'])
/** Calls never NULL. */
const NEVER_NULL = new Set(['is_null', 'is_not_null', 'is_true', 'is_false', 'concat'])

/** `e` with its inputs nullable only where the segment's column has nulls, and nullability recomputed upwards. */
function specialize (e: BoundExpr, hasNulls: readonly boolean[]): BoundExpr {
  switch (e.kind) {
    case 'input': return { ...e, nullable: hasNulls[e.index] ?? true }
    case 'const': return e
    case 'cast': {
      const arg = specialize(e.arg, hasNulls)
      return { ...e, arg, nullable: e.nullable && (e.try || arg.nullable) }
    }
    case 'case': {
      const whens = e.whens.map(w => ({ when: specialize(w.when, hasNulls), then: specialize(w.then, hasNulls) }))
      const otherwise = e.else === undefined ? undefined : specialize(e.else, hasNulls)
      return { ...e, whens, else: otherwise, nullable: e.nullable && (otherwise === undefined || otherwise.nullable || whens.some(w => w.then.nullable)) }
    }
    case 'call': {
      const args = e.args.map(a => specialize(a, hasNulls))
      const nullable = NEVER_NULL.has(e.fn) ? false : e.nullable && (NULL_FROM_VALUES.has(e.fn) || args.some(a => a.nullable))
      return { ...e, args, nullable }
    }
  }
}

/** The top-level conjuncts of a filter. */
function conjuncts (e: BoundExpr): BoundExpr[] {
  return e.kind === 'call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e]
}

/** The one input a conjunct reads, when it reads exactly one. */
function soleInput (e: BoundExpr): number | undefined {
  const found = new Set<number>()
  const walk = (x: BoundExpr): void => {
    switch (x.kind) {
      case 'input': found.add(x.index); break
      case 'const': break
      case 'cast': walk(x.arg); break
      case 'case': for (const w of x.whens) { walk(w.when); walk(w.then) } if (x.else !== undefined) walk(x.else); break
      case 'call': for (const a of x.args) walk(a); break
    }
  }
  walk(e)
  return found.size === 1 ? [...found][0] : undefined
}

/** See the module comment. */
export class ScanKernel {
  /** The dataset columns read, in expression-input order. */
  readonly columns: readonly string[]
  readonly #key: string
  readonly #filter: BoundExpr | undefined
  readonly #outputs: readonly BoundExpr[]
  readonly #groupBy: readonly BoundExpr[]
  readonly #aggregates: readonly AggregateCall[] | undefined
  /** The aggregates' compiled accumulator functions (looked up once, not per segment). */
  #compiled: ReturnType<typeof compileAggregates> | undefined
  readonly #groups = new Map<unknown, Partial>()
  #acc: unknown[] | undefined
  #sel = new Int32Array(0)
  /** The share of rows the filter kept in the last segment selected (0 until one was). */
  #selectivity = 0
  readonly #fuseAbove: number

  /** @throws UnknownColumnError when a column is not in the schema */
  constructor (schema: DatasetSchema, query: ScanQuery) {
    this.columns = query.columns
    const types = query.columns.map(c => sqlTypeOfColumn(columnOf(schema, c).type))
    this.#filter = query.filter
    this.#outputs = query.outputs ?? types.map((t, i) => input(i, t, true))
    this.#groupBy = query.aggregate?.groupBy ?? []
    this.#aggregates = query.aggregate?.aggregates
    this.#fuseAbove = query.fuseAbove ?? FUSE_ABOVE
    if (this.#fuseAbove <= 0) this.#selectivity = 1
    this.#key = exprKey([this.#filter ?? null, this.#outputs, this.#groupBy, this.#aggregates ?? null])
  }

  /** Keys held (partials not yet drained); 1 for a whole-set aggregate that folded rows. */
  get keys (): number {
    return this.#groupBy.length === 0 ? (this.#acc === undefined ? 0 : 1) : this.#groups.size
  }

  #cols (view: SegmentView): ColumnView[] {
    return this.columns.map(c => view.columns.get(c)!)
  }

  /** The filter's conjuncts, and for each the dictionary column it is decided on by table (if any). */
  #plan (cols: readonly ColumnView[]): { parts: BoundExpr[], tabled: (number | undefined)[] } {
    const parts = this.#filter === undefined ? [] : conjuncts(this.#filter)
    const tabled = parts.map(p => {
      const j = soleInput(p)
      return j !== undefined && cols[j]!.kind === 'dict' ? j : undefined
    })
    return { parts, tabled }
  }

  /** Emits the filter's checks (`continue` past a row it drops); returns the lines binding the tables. */
  #emitFilter (g: Codegen, cols: readonly ColumnView[], plan: { parts: BoundExpr[], tabled: (number | undefined)[] }): string[] {
    const hasNulls = cols.map(c => c.nulls !== undefined)
    let t = 0
    plan.parts.forEach((_, q) => {
      const j = plan.tabled[q]
      if (j === undefined) return
      const code = cols[j]!.nulls === undefined ? `c${j}[i]` : `(${isNull(j)} ? T${t}.length - 1 : c${j}[i])`
      g.emit(`if (T${t++}[${code}] === 0) continue`)
    })
    plan.parts.forEach((p, q) => {
      if (plan.tabled[q] !== undefined) return
      const v = g.expr(specialize(p, hasNulls))
      g.emit(`if (${v} !== true) continue`)
    })
    return Array.from({ length: t }, (_, k) => `const T${k} = tables[${k}]`)
  }

  /** The tables of the dictionary conjuncts: the conjunct per dictionary entry, and for NULL last. */
  #tables (cols: readonly ColumnView[], plan: { parts: BoundExpr[], tabled: (number | undefined)[] }): Uint8Array[] {
    const tables: Uint8Array[] = []
    plan.parts.forEach((p, q) => {
      const j = plan.tabled[q]
      if (j === undefined) return
      const c = cols[j] as Extract<ColumnView, { kind: 'dict' }>
      const test = compileRowPredicate(p)
      const row: unknown[] = new Array(cols.length).fill(null)
      const table = new Uint8Array(c.dictionary.length + 1)
      c.dictionary.forEach((s, k) => { row[j] = s; table[k] = test(row) ? 1 : 0 })
      row[j] = null
      table[c.dictionary.length] = test(row) ? 1 : 0
      tables.push(table)
    })
    return tables
  }

  /**
   * The rows of the segment the filter keeps: a selection of row indexes (a view of a buffer
   * the next call reuses), or null for all.
   */
  select (view: SegmentView): Int32Array | null {
    if (this.#filter === undefined) return null
    const cols = this.#cols(view)
    const plan = this.#plan(cols)
    const f = cached<Filter>(`sf${this.#key}|${encodingOf(cols)}`, () => {
      const g = new Codegen(columnLeaf(cols))
      const tables = this.#emitFilter(g, cols, plan)
      const lines = [...setup(cols), ...tables, 'let n = 0', 'for (let i = 0; i < count; i++) {', ...g.lines.map(l => `  ${l}`), '  sel[n++] = i', '}', 'return n']
      return build<Filter>(['cols', 'count', 'sel', 'tables'], lines, g.consts)
    })
    if (this.#sel.length < view.rows) this.#sel = new Int32Array(view.rows)
    const n = f(cols, view.rows, this.#sel, this.#tables(cols, plan))
    // a view of the reused buffer: valid until the next segment is selected
    return n === view.rows ? null : this.#sel.subarray(0, n)
  }

  /** Output rows `from`..`from + n` of the selection (all rows when null). */
  rows (view: SegmentView, sel: Int32Array | null, from: number, n: number): unknown[][] {
    const cols = this.#cols(view)
    const hasNulls = cols.map(c => c.nulls !== undefined)
    const f = cached<Project>(`sp${this.#key}|${encodingOf(cols)}`, () => {
      const g = new Codegen(columnLeaf(cols))
      const vs = this.#outputs.map(e => g.expr(specialize(e, hasNulls)))
      const lines = [...setup(cols), 'for (let k = from; k < from + n; k++) {', '  const i = sel === null ? k : sel[k]', ...g.lines.map(l => `  ${l}`), `  out.push([${vs.join(', ')}])`, '}']
      return build<Project>(['cols', 'sel', 'from', 'n', 'out'], lines, g.consts)
    })
    const out: unknown[][] = []
    f(cols, sel, from, n, out)
    return out
  }

  /**
   * Folds the rows of a segment the filter keeps (or the rows `selected` lists) into the
   * accumulators. A filter that kept more than half the rows of the previous segment runs
   * inside the folding loop (one pass, its columns read once per row; conjuncts on
   * dictionary columns by table, as in `select`); a more selective one into a selection first.
   */
  fold (view: SegmentView, selected?: Int32Array | null): void {
    const aggregates = this.#aggregates
    if (aggregates === undefined) throw new TypeError('ScanKernel.fold needs an aggregate query')
    let fused = selected === undefined && this.#filter !== undefined
    let sel = selected ?? null
    if (fused && !(this.#selectivity > this.#fuseAbove)) {
      // a selective filter: its own tight loop into a selection first is faster
      sel = this.select(view)
      this.#selectivity = sel === null ? 1 : sel.length / Math.max(1, view.rows)
      fused = false
    }
    const n = sel === null ? view.rows : sel.length
    if (n === 0) return
    const cols = this.#cols(view)
    const hasNulls = cols.map(c => c.nulls !== undefined)
    const compiled = this.#compiled ??= compileAggregates(aggregates)
    const plan = fused ? this.#plan(cols) : { parts: [], tabled: [] }
    const tables = this.#tables(cols, plan)
    const specialized = aggregates.map(a => a.arg === undefined ? a : { ...a, arg: specialize(a.arg, hasNulls) })
    /** The loop: filter checks, then what `head` emits (finding `acc`), then the update of acc. */
    const loop = (g: Codegen, head: () => void, before: readonly string[] = []): string[] => {
      const bind = this.#emitFilter(g, cols, plan)
      head()
      aggregateCode(specialized).update(g, 'acc')
      return [...setup(cols), ...bind, ...before, 'for (let k = 0; k < n; k++) {', '  const i = sel === null ? k : sel[k]', ...g.lines.map(l => `  ${l}`), '}']
    }
    const id = `${fused ? 'f' : 'n'}${this.#key}|${encodingOf(cols)}`
    if (this.#groupBy.length === 0) {
      const f = cached<FoldAll>(`sa${id}`, () => {
        const g = new Codegen(columnLeaf(cols))
        return build<FoldAll>(['cols', 'sel', 'n', 'tables', 'acc'], loop(g, () => {}), g.consts)
      })
      this.#acc ??= compiled.init()
      f(cols, sel, n, tables, this.#acc)
      // a fused filter may have kept nothing: no partial then, as without it (slot 0 counts rows)
      if (this.#acc[0] === 0) this.#acc = undefined
      return
    }
    const keyCols = this.#groupBy.map(e => e.kind === 'input' && (cols[e.index]!.kind === 'dict' || cols[e.index]!.kind === 'bits') ? e.index : undefined)
    const sizes = keyCols.map(j => j === undefined ? Infinity : (cols[j]!.kind === 'dict' ? (cols[j] as { dictionary: readonly string[] }).dictionary.length : 2) + 1)
    const slots = sizes.reduce((a, b) => a * b, 1)
    if (slots <= MAX_SLOTS) this.#foldSlots(id, cols, sel, n, tables, keyCols as number[], sizes, loop, compiled.init)
    else this.#foldMap(id, cols, hasNulls, sel, n, tables, loop, compiled.init)
  }

  #foldSlots (id: string, cols: readonly ColumnView[], sel: Int32Array | null, n: number, tables: readonly Uint8Array[], keyCols: readonly number[], sizes: readonly number[], loop: (g: Codegen, head: () => void, before?: readonly string[]) => string[], init: () => unknown[]): void {
    const f = cached<FoldSlots>(`ss${id}`, () => {
      const g = new Codegen(columnLeaf(cols))
      const code = keyCols.map((j, q) => {
        const c = cols[j]!
        const value = c.kind === 'bits' ? `((c${j}[i >>> 3] >>> (i & 7)) & 1)` : `c${j}[i]`
        const withNull = c.nulls === undefined ? value : `(${isNull(j)} ? nullCodes[${q}] : ${value})`
        return `${withNull} * s${q}`
      }).join(' + ')
      const lines = loop(g, () => {
        g.emit(`const code = ${code}`)
        g.emit('let p = table[code]')
        g.emit('if (p === undefined) p = table[code] = make(code)')
        g.emit('const acc = p[1]')
      }, keyCols.map((_, q) => `const s${q} = strides[${q}]`))
      return build<FoldSlots>(['cols', 'sel', 'n', 'tables', 'table', 'make', 'nullCodes', 'strides'], lines, g.consts)
    })
    const strides = new Int32Array(sizes.length)
    for (let q = sizes.length - 1, s = 1; q >= 0; q--) { strides[q] = s; s *= sizes[q]! }
    const nullCodes = Int32Array.from(sizes, s => s - 1)
    const valueOf = keyCols.map(j => {
      const c = cols[j]!
      return c.kind === 'dict' ? (k: number): unknown => k === c.dictionary.length ? null : c.dictionary[k] : (k: number): unknown => k === 2 ? null : k === 1
    })
    const mapKey = this.#mapKey()
    const make = (code: number): Partial => {
      const parts = valueOf.map((v, q) => v(Math.floor(code / strides[q]!) % sizes[q]!))
      const raw = parts.length === 1 ? parts[0] : parts
      return this.#partial(raw, mapKey(parts), init)
    }
    f(cols, sel, n, tables, new Array<Partial | undefined>(sizes.reduce((a, b) => a * b, 1)).fill(undefined), make, nullCodes, strides)
  }

  #foldMap (id: string, cols: readonly ColumnView[], hasNulls: readonly boolean[], sel: Int32Array | null, n: number, tables: readonly Uint8Array[], loop: (g: Codegen, head: () => void) => string[], init: () => unknown[]): void {
    const f = cached<FoldMap>(`sm${id}`, () => {
      const g = new Codegen(columnLeaf(cols))
      const lines = loop(g, () => {
        const keys = this.#groupBy.map(e => specialize(e, hasNulls))
        const vs = keys.map(e => g.expr(e))
        const mk = vs.length === 1 ? vs[0]! : compositeKeyCode(vs, keys)
        const raw = vs.length === 1 ? vs[0]! : `[${vs.join(', ')}]`
        g.emit(`const mk = ${mk}`)
        g.emit('let p = groups.get(mk)')
        g.emit(`if (p === undefined) p = make(${raw}, mk)`)
        g.emit('const acc = p[1]')
      })
      return build<FoldMap>(['cols', 'sel', 'n', 'tables', 'groups', 'make'], lines, g.consts)
    })
    f(cols, sel, n, tables, this.#groups, (raw, mk) => this.#partial(raw, mk, init))
  }

  /** The Map key of a group from its values: the value for one key, the composite text for several. */
  #mapKey (): (parts: readonly unknown[]) => unknown {
    if (this.#groupBy.length === 1) return parts => parts[0]
    return cached(`sk${exprKey(this.#groupBy.map(e => e.type))}`, () => {
      const vs = this.#groupBy.map((_, q) => `p[${q}]`)
      return build<(parts: readonly unknown[]) => unknown>(['p'], [`return ${compositeKeyCode(vs, this.#groupBy.map(e => ({ type: e.type, nullable: true })))}`], [])
    })
  }

  #partial (raw: unknown, mk: unknown, init: () => unknown[]): Partial {
    let p = this.#groups.get(mk)
    if (p === undefined) {
      p = [raw, init()]
      this.#groups.set(mk, p)
    }
    return p
  }

  /** The partials held, forgotten here (a whole-set aggregate: one, when any row was folded). */
  drain (): Partial[] {
    if (this.#groupBy.length === 0) {
      const out: Partial[] = this.#acc === undefined ? [] : [[undefined, this.#acc]]
      this.#acc = undefined
      return out
    }
    const out = [...this.#groups.values()]
    this.#groups.clear()
    return out
  }
}

/**
 * A fused scan → filter → partial aggregate over dataset segments, column by column: the
 * physical operator behind `readDataset(...).groupBy(cols).aggregate({...})` and
 * `readDataset(...).aggregate({...})` (and what a SQL planner targets for
 * `SELECT keys, SUM(…) … WHERE … GROUP BY keys` over one dataset). For each segment it
 * decodes only the columns the scan needs, selects the rows of the predicate vectorised
 * (predicate-select.ts), and folds every selected row into one accumulator per key without
 * building a record per row: the aggregates read a single reused row (a cursor) whose
 * fields are set from the column arrays, and the key is found from the columns — for
 * dictionary-encoded (and boolean) key columns through a per-segment table indexed by the
 * dictionary codes, so a row costs an array read, not a Map lookup of a string.
 *
 * What it emits is exactly what PartialAggregateOperator emits for the same rows:
 * `[rawKey, acc]` partials (rawKey the key column's value, an array of the key columns'
 * values for a composite key, undefined for a whole-set aggregate), which the normal
 * shuffle and FinalAggregateOperator merge. Rows it folds are the rows the row scan
 * (segment-rows.ts) would build: the projected columns only (a key or an aggregate reading
 * a column that is not projected sees undefined, as it would on a record), nulls as null.
 *
 * The reused row is why only the built-in aggregators run here (see `canFuse`): they read
 * values from the row and never keep it.
 *
 * @example
 * const scan = new ColumnarAggregateScan({ schema, scan: { columns: ['flag', 'qty'] }, keyColumns: ['flag'], combiner })
 * for (const bytes of segments) scan.fold(bytes)
 * const partials = scan.drain()   // [['A', acc], ['N', acc], …]
 */
import type { DatasetSchema, ScanSpec } from '../../api/dataset-schema.ts'
import type { Combiner, Partial } from '../operators/batch/combiner.ts'
import { NULL_KEY } from '../../api/data-set-keys.ts'
import { columnOf } from '../../storage/datasets/dataset-schema.ts'
import { selectRows } from '../../storage/datasets/predicate-select.ts'
import { validatePredicate } from '../../storage/datasets/predicate.ts'
import { readSegment, type ColumnView, type SegmentView } from '../../storage/datasets/segment-reader.ts'
import { collectColumns, readExpression, setupExpression } from '../../storage/datasets/segment-rows.ts'

/** Most slots of a per-segment key table (product of the key columns' dictionary sizes + 1). */
const MAX_SLOTS = 1 << 14

export interface ColumnarAggregateInit {
  readonly schema: DatasetSchema
  /** The scan's projection and predicate, as readDataset was given them. */
  readonly scan: ScanSpec
  /** The key columns, in order; empty: one whole-set accumulator. */
  readonly keyColumns: readonly string[]
  /** The aggregation (its `first` and `add` are called with the reused row). */
  readonly combiner: Combiner<any, any, any>
}

/** Nested Maps, one level per key column, the last level holding the partials. */
type Nested = Map<unknown, Nested | Partial>

/** A compiled filler of the reused row from row i of a segment's columns. */
type Fill = (row: Record<string, unknown>, i: number) => void
type BindFill = (columns: readonly ColumnView[]) => Fill

const fillers = new Map<string, { bind: BindFill, row: () => Record<string, unknown> }>()

/** The row factory and filler of a projection (compiled once per names, encodings and nulls). */
function fillerOf (columns: readonly ColumnView[]): { bind: BindFill, row: () => Record<string, unknown> } {
  const key = JSON.stringify(columns.map(c => [c.name, c.kind, c.nulls !== undefined]))
  let f = fillers.get(key)
  if (f !== undefined) return f
  const prop = (name: string): string => `[${JSON.stringify(name)}]`
  const fields = columns.map(c => `${prop(c.name)}: null`).join(', ')
  const body = [
    ...columns.map(setupExpression),
    'return (row, i) => {',
    ...columns.map((c, j) => `  row${prop(c.name)} = ${readExpression(c, j)}`),
    '}'
  ].join('\n')
  // eslint-disable-next-line no-new-func -- compiled per projection; names enter only as JSON string literals
  const bind = new Function('columns', body) as BindFill
  // eslint-disable-next-line no-new-func -- one object literal, so every row has one hidden class
  const row = new Function(`return { ${fields} }`) as () => Record<string, unknown>
  f = { bind, row }
  if (fillers.size < 256) fillers.set(key, f)
  return f
}

/** A key column's per-row code in a slot table: its dictionary index (or bit), `size` for null. */
interface SlotColumn {
  readonly size: number
  readonly code: (i: number) => number
  readonly value: (code: number) => unknown
}

function slotColumn (c: ColumnView): SlotColumn | undefined {
  const nulls = c.nulls
  const isNull = (i: number): boolean => nulls !== undefined && ((nulls[i >>> 3]! >>> (i & 7)) & 1) === 1
  if (c.kind === 'dict') {
    const size = c.dictionary.length
    const indexes = c.indexes
    const dictionary = c.dictionary
    return { size, code: i => isNull(i) ? size : indexes[i]!, value: k => k === size ? null : dictionary[k] }
  }
  if (c.kind === 'bits') {
    const bits = c.bits
    return { size: 2, code: i => isNull(i) ? 2 : (bits[i >>> 3]! >>> (i & 7)) & 1, value: k => k === 2 ? null : k === 1 }
  }
  return undefined
}

/** See the module comment. */
export class ColumnarAggregateScan {
  readonly #schema: DatasetSchema
  readonly #projected: readonly string[]
  readonly #needed: readonly string[]
  readonly #predicate: ScanSpec['predicate']
  readonly #keyColumns: readonly string[]
  readonly #combiner: Combiner<any, any, any>
  readonly #groups: Nested = new Map()
  #keys = 0
  #acc: unknown
  #any = false
  #rows = 0

  /** @throws UnknownColumnError / InvalidPredicateError when the scan does not fit the schema */
  constructor (init: ColumnarAggregateInit) {
    this.#schema = init.schema
    this.#projected = init.scan.columns ?? init.schema.columns.map(c => c.name)
    for (const name of this.#projected) columnOf(init.schema, name)
    this.#predicate = init.scan.predicate
    const needed = new Set(this.#projected)
    if (this.#predicate !== undefined) {
      validatePredicate(init.schema, this.#predicate)
      collectColumns(this.#predicate, needed)
    }
    this.#needed = [...needed]
    this.#keyColumns = init.keyColumns
    this.#combiner = init.combiner
  }

  /** Keys held (partials not yet drained). */
  get keys (): number {
    return this.#keyColumns.length === 0 ? (this.#any ? 1 : 0) : this.#keys
  }

  /** Rows folded so far (after the predicate). */
  get rows (): number {
    return this.#rows
  }

  /** The columns a segment's view must have for `foldView` (projected and predicate columns). */
  get needed (): readonly string[] {
    return this.#needed
  }

  /**
   * Folds the rows of one segment the scan selects.
   *
   * @throws CorruptSegmentError when the bytes do not decode
   */
  fold (bytes: Uint8Array): void {
    this.foldView(readSegment(bytes, this.#schema, { columns: this.#needed }))
  }

  /** Folds the rows the scan selects of a segment decoded with (at least) the `needed` columns. */
  foldView (view: SegmentView): void {
    const selected = this.#predicate === undefined ? null : selectRows(view, this.#predicate)
    const count = selected === null ? view.rows : selected.length
    if (count === 0) return
    this.#rows += count
    const columns = this.#projected.map(name => view.columns.get(name)!)
    const filler = fillerOf(columns)
    const fill = filler.bind(columns)
    const row = filler.row()
    if (this.#keyColumns.length === 0) {
      this.#foldAll(fill, row, selected, count)
      return
    }
    const keyViews = this.#keyColumns.map(k => this.#projected.includes(k) ? view.columns.get(k) : undefined)
    const slots = keyViews.every(v => v !== undefined) ? keyViews.map(v => slotColumn(v!)) : []
    let size = 1
    for (const s of slots) size = s === undefined ? Infinity : size * (s.size + 1)
    if (slots.length > 0 && size <= MAX_SLOTS) this.#foldSlots(fill, row, selected, count, slots as SlotColumn[], size)
    else this.#foldKeys(fill, row, selected, count)
  }

  #foldAll (fill: Fill, row: Record<string, unknown>, selected: Uint32Array | null, count: number): void {
    const c = this.#combiner
    let k = 0
    if (!this.#any) {
      fill(row, selected === null ? 0 : selected[0]!)
      this.#acc = c.first(row)
      this.#any = true
      k = 1
    }
    let acc = this.#acc
    const add = c.add
    if (selected === null) {
      for (; k < count; k++) { fill(row, k); acc = add(acc, row) }
    } else {
      for (; k < count; k++) { fill(row, selected[k]!); acc = add(acc, row) }
    }
    this.#acc = acc
  }

  /** Keys from dictionary codes: a table of the segment's key combinations → their partials. */
  #foldSlots (fill: Fill, row: Record<string, unknown>, selected: Uint32Array | null, count: number, slots: readonly SlotColumn[], size: number): void {
    const table = new Array<Partial | undefined>(size).fill(undefined)
    const add = this.#combiner.add
    const strides = slots.map((_, j) => slots.slice(j + 1).reduce((m, s) => m * (s.size + 1), 1))
    const one = slots.length === 1 ? slots[0]!.code : undefined
    for (let k = 0; k < count; k++) {
      const i = selected === null ? k : selected[k]!
      let code: number
      if (one !== undefined) code = one(i)
      else {
        code = 0
        for (let j = 0; j < slots.length; j++) code += slots[j]!.code(i) * strides[j]!
      }
      fill(row, i)
      const p = table[code]
      if (p !== undefined) {
        p[1] = add(p[1], row)
        continue
      }
      const parts = slots.map((s, j) => s.value(Math.floor(code / strides[j]!) % (s.size + 1)))
      table[code] = this.#partial(parts, row)
    }
  }

  /** Keys read from the row: nested Maps, one level per key column. */
  #foldKeys (fill: Fill, row: Record<string, unknown>, selected: Uint32Array | null, count: number): void {
    const add = this.#combiner.add
    const keyColumns = this.#keyColumns
    const last = keyColumns.length - 1
    for (let k = 0; k < count; k++) {
      fill(row, selected === null ? k : selected[k]!)
      let m = this.#groups
      for (let j = 0; j < last; j++) {
        const part = levelKey(row[keyColumns[j]!])
        let next = m.get(part) as Nested | undefined
        if (next === undefined) m.set(part, next = new Map())
        m = next
      }
      const p = m.get(levelKey(row[keyColumns[last]!])) as Partial | undefined
      if (p !== undefined) p[1] = add(p[1], row)
      else this.#partial(keyColumns.map(c => row[c]), row)
    }
  }

  /** The partial of key `parts` with `row` folded in (made, with `first(row)`, when new). */
  #partial (parts: readonly unknown[], row: Record<string, unknown>): Partial {
    let m = this.#groups
    const last = parts.length - 1
    for (let j = 0; j < last; j++) {
      const part = levelKey(parts[j])
      let next = m.get(part) as Nested | undefined
      if (next === undefined) m.set(part, next = new Map())
      m = next
    }
    const lastPart = levelKey(parts[last])
    let p = m.get(lastPart) as Partial | undefined
    if (p !== undefined) {
      p[1] = this.#combiner.add(p[1], row)
      return p
    }
    p = [parts.length === 1 ? parts[0] : [...parts], this.#combiner.first(row)]
    m.set(lastPart, p)
    this.#keys++
    return p
  }

  /** The partials held, forgotten here (whole set: one partial when any row was folded). */
  drain (): Partial[] {
    const out: Partial[] = []
    if (this.#keyColumns.length === 0) {
      if (this.#any) out.push([undefined, this.#acc])
      this.#any = false
      this.#acc = undefined
      return out
    }
    const walk = (m: Nested, depth: number): void => {
      for (const x of m.values()) {
        if (depth === 0) out.push(x as Partial)
        else walk(x as Nested, depth - 1)
      }
    }
    walk(this.#groups, this.#keyColumns.length - 1)
    this.#groups.clear()
    this.#keys = 0
    return out
  }
}

/** A key part as a Map key: a scan's values are scalars or null (undefined when not projected); both nulls are one key. */
function levelKey (x: unknown): unknown {
  return x === null || x === undefined ? NULL_KEY : x
}

/**
 * Reading a segment as records: only the scan's columns, only the rows its predicate is
 * true for. The predicate runs vectorised over the columns (predicate-select.ts); the
 * records are then built by an object literal compiled once per projection (column names
 * and encodings), as node/runtime/threads/thread-batch-codec.ts does, so every record of
 * a scan has one hidden class and operators downstream stay monomorphic.
 *
 * @example
 * for (const row of segmentRows(bytes, schema, { columns: ['store', 'amount'], predicate: { op: '>', column: 'amount', value: 10 } })) use(row)
 */
import type { DatasetSchema, Scalar, ScanSpec } from '../../api/dataset-schema.ts'
import { columnOf } from './dataset-schema.ts'
import { selectRows } from './predicate-select.ts'
import { validatePredicate } from './predicate.ts'
import { readSegment, type ColumnView, type SegmentView } from './segment-reader.ts'

type Build = (from: number, count: number, selected: Uint32Array | null, columns: readonly ColumnView[]) => Record<string, Scalar | null>[]

const builders = new Map<string, Build>()
const MAX_BUILDERS = 256

/** The expression reading row i of column j, null-checked when the column has nulls (after `setupExpression(column, j)`). */
export function readExpression (column: ColumnView, j: number): string {
  let value: string
  switch (column.kind) {
    case 'float64':
    case 'int32':
    case 'int64': value = `v${j}[i]`; break
    case 'bits': value = `((v${j}[i >>> 3] >>> (i & 7)) & 1) === 1`; break
    case 'dict': value = `d${j}[v${j}[i]]`; break
    case 'utf8': value = `b${j}.toString("utf8", v${j}[i], v${j}[i + 1])`; break
  }
  return column.nulls === undefined ? value : `((n${j}[i >>> 3] >>> (i & 7)) & 1) === 1 ? null : ${value}`
}

/** The statements binding column j's arrays (`columns[j]`) for `readExpression`. */
export function setupExpression (column: ColumnView, j: number): string {
  const c = `columns[${j}]`
  const lines = [`const n${j} = ${c}.nulls`]
  switch (column.kind) {
    case 'float64':
    case 'int32':
    case 'int64': lines.push(`const v${j} = ${c}.values`); break
    case 'bits': lines.push(`const v${j} = ${c}.bits`); break
    case 'dict': lines.push(`const v${j} = ${c}.indexes`, `const d${j} = ${c}.dictionary`); break
    case 'utf8': lines.push(`const v${j} = ${c}.offsets`, `const b${j} = ${c}.bytes`); break
  }
  return lines.join('\n')
}

function builderOf (columns: readonly ColumnView[]): Build {
  const key = JSON.stringify(columns.map(c => [c.name, c.kind, c.nulls !== undefined, c.kind === 'dict' || c.kind === 'utf8' ? c.kind : '']))
  let build = builders.get(key)
  if (build !== undefined) return build
  // a literal key "__proto__" would set the prototype; computed, it is an own property
  const fields = columns.map((c, j) => `${c.name === '__proto__' ? '["__proto__"]' : JSON.stringify(c.name)}: ${readExpression(c, j)}`).join(', ')
  const body = [
    ...columns.map(setupExpression),
    'const out = new Array(count)',
    'for (let k = 0; k < count; k++) {',
    '  const i = selected === null ? from + k : selected[from + k]',
    `  out[k] = { ${fields} }`,
    '}',
    'return out'
  ].join('\n')
  // eslint-disable-next-line no-new-func -- an object literal compiled per projection; names enter only as JSON string literals
  build = new Function('from', 'count', 'selected', 'columns', body) as Build
  if (builders.size < MAX_BUILDERS) builders.set(key, build)
  return build
}

/**
 * The records of a segment: with only `scan.columns` (default all, in the order given),
 * only the rows `scan.predicate` is true for (SQL null semantics), in segment order.
 * Predicate columns need not be projected.
 *
 * @throws CorruptSegmentError when the bytes do not decode
 * @throws UnknownColumnError / InvalidPredicateError when the scan does not fit the schema
 */
export function segmentRows (bytes: Uint8Array, schema: DatasetSchema, scan: ScanSpec = {}): Record<string, Scalar | null>[] {
  const s = scanSegment(bytes, schema, scan)
  return s.records(0, s.rows)
}

/** A segment decoded for a scan, whose records are built a range at a time (see scanSegment). */
export interface SegmentScan {
  /** The rows the scan yields (after its predicate). */
  readonly rows: number
  /** Records `from` to `to` (exclusive) of the scan, as segmentRows builds them. */
  records(from: number, to: number): Record<string, Scalar | null>[]
}

/**
 * As segmentRows, but the records are built when asked for, a range at a time: a scan that
 * emits them in batches keeps only a batch of records alive, not a whole segment's.
 *
 * @throws as segmentRows
 */
export function scanSegment (bytes: Uint8Array, schema: DatasetSchema, scan: ScanSpec = {}): SegmentScan {
  return scanView(readSegment(bytes, schema, { columns: scanColumns(schema, scan) }), schema, scan)
}

/**
 * The columns a scan reads: its projection (default: every column) and what its predicate
 * looks at.
 *
 * @throws UnknownColumnError / InvalidPredicateError when the scan does not fit the schema
 */
export function scanColumns (schema: DatasetSchema, scan: ScanSpec = {}): string[] {
  const projected = scan.columns ?? schema.columns.map(c => c.name)
  for (const name of projected) columnOf(schema, name)
  if (scan.predicate === undefined) return [...projected]
  validatePredicate(schema, scan.predicate)
  const extra = new Set<string>(projected)
  collectColumns(scan.predicate, extra)
  return [...extra]
}

/** As scanSegment, over a segment decoded already with (at least) the `scanColumns` of the scan. */
export function scanView (view: SegmentView, schema: DatasetSchema, scan: ScanSpec = {}): SegmentScan {
  const projected = scan.columns ?? schema.columns.map(c => c.name)
  const predicate = scan.predicate
  const selected = predicate === undefined ? null : selectRows(view, predicate)
  const columns = projected.map(name => view.columns.get(name)!)
  const build = builderOf(columns)
  const rows = selected === null ? view.rows : selected.length
  return {
    rows,
    records: (from, to) => {
      const start = Math.max(0, Math.min(from, rows))
      return build(start, Math.max(0, Math.min(to, rows) - start), selected, columns)
    }
  }
}

/** Adds the columns a predicate reads to `into`. */
export function collectColumns (predicate: ScanSpec['predicate'] & object, into: Set<string>): void {
  switch (predicate.op) {
    case 'and':
    case 'or': for (const a of predicate.args) collectColumns(a, into); return
    case 'not': collectColumns(predicate.arg, into); return
    default: into.add(predicate.column)
  }
}

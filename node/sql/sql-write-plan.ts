/**
 * The plans of the statements that write a dataset: `INSERT INTO ds [(cols)] SELECT …`
 * appends the query's rows, cast to the dataset's column types (by position, or by the
 * column list, the others NULL); `CREATE TABLE ds AS SELECT …` makes a new dataset whose
 * schema is the query's columns. Shared by the embedded session and the job a mesh runs.
 *
 * @example
 * const w = planWrite(statement, catalog)   // { plan, target, mode: 'append', schema }
 */
import type { Statement } from './ast.ts'
import type { SqlCatalog } from './catalog.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { DatasetSchema } from '../api/dataset-schema.ts'
import type { DataSet } from '../api/data-set.ts'
import { findTable } from './catalog.ts'
import { addDatasetWrite, type WriteDatasetOptions } from '../api/dataset-write.ts'
import { inheritedParallelism } from '../api/data-set-support.ts'
import { planQuery } from './sql-planner.ts'
import { columnTypeOf, isNumeric, isTemporal, type SqlColumn, type SqlType } from './sql-types.ts'
import { coerce } from './binder/bind-expression.ts'
import { input } from './bound-expression.ts'
import { SqlTypeError, SqlUnknownTableError } from './errors.ts'

/** What a writing statement writes. */
export interface WritePlan {
  readonly plan: LogicalPlan
  /** The dataset written (its name as the catalog has it, for an INSERT). */
  readonly target: string
  readonly mode: 'append' | 'overwrite'
  /** The dataset's columns (the query's for CREATE TABLE AS). */
  readonly schema: DatasetSchema
  /** True when CREATE TABLE IF NOT EXISTS found the table: nothing to write. */
  readonly exists: boolean
}

/** Plans an INSERT or CREATE TABLE AS (see the module comment). */
export function planWrite (statement: Extract<Statement, { kind: 'insert' | 'create-table-as' }>, catalog: SqlCatalog): WritePlan {
  const name = statement.table.name
  const existing = findTable(catalog, name, statement.table.quoted)
  let plan = planQuery(statement.query, catalog).optimized
  if (statement.kind === 'create-table-as') {
    if (existing !== undefined) {
      if (statement.ifNotExists) return { plan, target: existing.name, mode: 'overwrite', schema: { columns: [] }, exists: true }
      throw new SqlTypeError(`Table '${existing.name}' exists already (INSERT INTO appends to it)`, statement.table.pos)
    }
    const names = new Set<string>()
    for (const c of plan.columns) {
      if (names.has(c.name)) throw new SqlTypeError(`CREATE TABLE ${name} AS SELECT gives two columns named '${c.name}': name them with AS`, statement.query.pos)
      names.add(c.name)
    }
    return { plan, target: name, mode: 'overwrite', schema: schemaOf(plan), exists: false }
  }
  if (existing === undefined) throw new SqlUnknownTableError(name, statement.table.pos, catalog.tableNames())
  plan = insertProjection(statement, plan, existing)
  return { plan, target: existing.name, mode: 'append', schema: schemaOf(plan), exists: false }
}

/** Adds the write of `rows` (a plan's rows as arrays) to their job: records keyed by column name into the dataset. */
export function writeRows (rows: DataSet<unknown[]>, w: WritePlan, partitions?: number): void {
  const names = w.plan.columns.map(c => c.name)
  const records = rows.map(r => {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) o[names[i]!] = r[i] ?? null
    return o
  })
  const options: WriteDatasetOptions = w.mode === 'append' ? { mode: 'append' } : { mode: 'overwrite', schema: w.schema, ...(partitions === undefined ? {} : { partitions }) }
  if (inheritedParallelism(rows.transformation) !== 1) {
    records.writeDataset(w.target, options)
    return
  }
  // rows of one subtask (a global aggregate, a sort): written by it, chained, with no exchange
  // (and no stage of a batch job) between the last operator and the writer
  addDatasetWrite(records.environment, records.setParallelism(1).transformation, w.target, { ...options, writerParallelism: 1 })
}

/** The dataset schema of a plan's columns. */
export function schemaOf (plan: LogicalPlan): DatasetSchema {
  return { columns: plan.columns.map(c => ({ name: c.name, type: columnTypeOf(c.type) })) }
}

/**
 * The query's columns as the target table's (a dataset or a connector table): by position,
 * or by the INSERT's column list (the others NULL), cast to its types — numbers to numbers,
 * times to times, anything to VARCHAR.
 */
export function insertProjection (statement: Extract<Statement, { kind: 'insert' }>, plan: LogicalPlan, target: { readonly name: string, readonly columns: readonly SqlColumn[] }): LogicalPlan {
  const targetColumns = target.columns
  const positions: (number | undefined)[] = targetColumns.map((_c, i) => statement.columns.length === 0 ? i : undefined)
  if (statement.columns.length > 0) {
    statement.columns.forEach((c, k) => {
      const i = targetColumns.findIndex(t => c.quoted ? t.name === c.name : t.name.toLowerCase() === c.name.toLowerCase())
      if (i < 0) throw new SqlTypeError(`Table '${target.name}' has no column '${c.name}'`, c.pos)
      positions[i] = k
    })
  }
  const given = statement.columns.length === 0 ? targetColumns.length : statement.columns.length
  if (plan.columns.length !== given) throw new SqlTypeError(`INSERT INTO ${target.name} gives ${plan.columns.length} columns for ${given}`, statement.query.pos)
  const exprs = targetColumns.map((t, i) => {
    const k = positions[i]
    if (k === undefined) return { kind: 'const' as const, value: null, type: t.type, nullable: true }
    const c = plan.columns[k]!
    const e = coerce(input(k, c.type, c.nullable), t.type)
    if (c.type !== t.type && c.type !== 'NULL' && !castable(c.type, t.type)) throw new SqlTypeError(`INSERT INTO ${target.name}: column '${t.name}' is ${t.type}, the query gives ${c.type}`, statement.query.pos)
    return e
  })
  return { kind: 'project', input: plan, exprs, columns: targetColumns.map(t => ({ ...t, nullable: true })) }
}

function castable (from: SqlType, to: SqlType): boolean {
  return (isNumeric(from) && isNumeric(to)) || (isTemporal(from) && isTemporal(to)) || to === 'VARCHAR'
}

/**
 * The statements around connector tables shared by `env.sql` and the SQL session:
 * declaring one (`CREATE TABLE … WITH`), finding one by name (unquoted names match
 * case-insensitively), and fitting an INSERT's query to its columns.
 *
 * @example
 * declareConnectorTable(connectorTables(env), statement)
 * const plan = insertColumns(statement, planned, findConnectorTable(tables, 'out')!)
 */
import type { Statement } from '../ast.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import type { ConnectorTable } from './connector-table.ts'
import { connectorTable } from './connector-table.ts'
import { coerce } from '../binder/bind-expression.ts'
import { input } from '../bound-expression.ts'
import { isNumeric, isTemporal } from '../sql-types.ts'
import { SqlDdlError, SqlTypeError } from '../errors.ts'

/**
 * Checks a CREATE TABLE … WITH statement and adds its table to `registry`.
 *
 * @returns whether it was added (false: it existed and the statement says IF NOT EXISTS)
 * @throws SqlDdlError for a bad declaration or a name taken (by `taken` too, when given)
 */
export function declareConnectorTable (registry: Map<string, ConnectorTable>, statement: Extract<Statement, { kind: 'create-table' }>, taken?: { has(name: string): boolean }): boolean {
  const def = connectorTable(statement)
  const existing = findConnectorTable(registry, def.name, statement.table.quoted)
  if (existing !== undefined || taken?.has(def.name) === true) {
    if (statement.ifNotExists) return false
    throw new SqlDdlError(`Table '${existing?.name ?? def.name}' exists already`, statement.table.pos)
  }
  registry.set(def.name, def)
  return true
}

/** The connector table `name` names: exactly, or unquoted one differing only in case. */
export function findConnectorTable (registry: ReadonlyMap<string, ConnectorTable>, name: string, quoted = false): ConnectorTable | undefined {
  const exact = registry.get(name)
  if (exact !== undefined || quoted) return exact
  const matches = [...registry.keys()].filter(n => n.toLowerCase() === name.toLowerCase())
  return matches.length === 1 ? registry.get(matches[0]!) : undefined
}

/** The query's columns as the table's: by position, or by the INSERT's column list (others NULL), cast to its types. */
export function insertColumns (statement: Extract<Statement, { kind: 'insert' }>, plan: LogicalPlan, def: ConnectorTable): LogicalPlan {
  const target = def.columns
  const positions: (number | undefined)[] = target.map((_c, i) => statement.columns.length === 0 ? i : undefined)
  statement.columns.forEach((c, k) => {
    const i = target.findIndex(t => c.quoted ? t.name === c.name : t.name.toLowerCase() === c.name.toLowerCase())
    if (i < 0) throw new SqlTypeError(`Table '${def.name}' has no column '${c.name}'`, c.pos)
    positions[i] = k
  })
  const given = statement.columns.length === 0 ? target.length : statement.columns.length
  if (plan.columns.length !== given) throw new SqlTypeError(`INSERT INTO ${def.name} gives ${plan.columns.length} columns for ${given}`, statement.query.pos)
  const exprs = target.map((t, i) => {
    const k = positions[i]
    if (k === undefined) return { kind: 'const' as const, value: null, type: t.type, nullable: true }
    const c = plan.columns[k]!
    const fits = c.type === t.type || c.type === 'NULL' || (isNumeric(c.type) && isNumeric(t.type)) || (isTemporal(c.type) && isTemporal(t.type)) || t.type === 'VARCHAR'
    if (!fits) throw new SqlTypeError(`INSERT INTO ${def.name}: column '${t.name}' is ${t.type}, the query gives ${c.type}`, statement.query.pos)
    return coerce(input(k, c.type, c.nullable), t.type)
  })
  return { kind: 'project', input: plan, exprs, columns: target.map(t => ({ ...t, nullable: true })) }
}

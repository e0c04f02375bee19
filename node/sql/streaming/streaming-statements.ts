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
import { insertProjection } from '../sql-write-plan.ts'
import type { ConnectorTable } from './connector-table.ts'
import { connectorTable } from './connector-table.ts'
import { SqlDdlError } from '../errors.ts'

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

/** The query's columns as the connector table's (see insertProjection). */
export function insertColumns (statement: Extract<Statement, { kind: 'insert' }>, plan: LogicalPlan, def: ConnectorTable): LogicalPlan {
  return insertProjection(statement, plan, def)
}

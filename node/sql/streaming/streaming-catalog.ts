/**
 * Connector tables in a catalog: the `CatalogTable` a `CREATE TABLE … WITH (…)` table
 * shows the binder (a streaming table: planned onto the DataStream API, whatever its
 * source's boundedness), and the registry of each StreamEnvironment's connector tables
 * (`env.sql('CREATE TABLE …')` keeps them for its later statements).
 *
 * @example
 * const entry = streamingCatalogTable(def)
 * isStreamingTable(entry) // true
 */
import type { CatalogTable } from '../catalog.ts'
import type { ConnectorTable } from './connector-table.ts'

const streaming = new WeakSet<CatalogTable>()

/** The catalog entry of a connector table. */
export function streamingCatalogTable (def: ConnectorTable): CatalogTable {
  const entry: CatalogTable = { kind: 'table', name: def.name, columns: def.columns, bounded: def.bounded, rows: undefined }
  streaming.add(entry)
  return entry
}

/** Whether a catalog entry is a connector table's. */
export function isStreamingTable (entry: CatalogTable | undefined): boolean {
  return entry !== undefined && streaming.has(entry)
}

const registries = new WeakMap<object, Map<string, ConnectorTable>>()

/** The connector tables declared on `owner` (an environment or a session), by name. */
export function connectorTables (owner: object): Map<string, ConnectorTable> {
  let tables = registries.get(owner)
  if (tables === undefined) {
    tables = new Map()
    registries.set(owner, tables)
  }
  return tables
}

/**
 * What a query's tables are: the datasets of the mesh (their pinned version's schema, size
 * and partitioning) and the tables a program or session registered (`env.registerTable`,
 * `CREATE TABLE … WITH (…)`). The binder looks names up here; unquoted names match
 * case-insensitively when exactly one table matches, quoted names exactly.
 *
 * @example
 * const catalog = sqlCatalog({ datasets: env.datasetCatalog, tables: session.tables })
 * catalog.table('sales') // { kind: 'dataset', name: 'sales', columns: [...], rows: 1_000_000, ... }
 */
import type { Partitioning } from '../api/dataset-schema.ts'
import type { SqlColumn } from './sql-types.ts'

/** A table a query can read. */
export type CatalogTable =
  | {
    readonly kind: 'dataset'
    readonly name: string
    /** The version asked for; undefined: the version the job is pinned to. */
    readonly version: number | undefined
    readonly columns: readonly SqlColumn[]
    readonly rows: number
    readonly partitioning: Partitioning
    /** Estimated distinct values of some columns, by name (see distinctEstimates). */
    readonly distinct?: Readonly<Record<string, number>>
  }
  /** A registered table (a DataSet or DataStream of the program, or a connector table). */
  | {
    readonly kind: 'table'
    readonly name: string
    readonly columns: readonly SqlColumn[]
    readonly bounded: boolean
    readonly rows: number | undefined
  }

/** The tables a query may name. */
export interface SqlCatalog {
  /** The table named `name` exactly, or undefined. */
  table(name: string): CatalogTable | undefined
  /** Every table's name (for SHOW TABLES and did-you-mean). */
  tableNames(): readonly string[]
  /**
   * The parallelism the planned job runs at, when known: a join of two datasets
   * hash-partitioned alike into that many partitions then needs no shuffle (co-located).
   */
  readonly parallelism?: number
  /** The largest side (estimated rows) a join broadcasts (default BROADCAST_MAX_ROWS, 100,000). */
  readonly broadcastMaxRows?: number
}

/**
 * The table an identifier names: the exact name first; an unquoted name also matches one
 * table whose name differs only in case.
 */
export function findTable (catalog: SqlCatalog, name: string, quoted: boolean): CatalogTable | undefined {
  const exact = catalog.table(name)
  if (exact !== undefined || quoted) return exact
  const lower = name.toLowerCase()
  const matches = catalog.tableNames().filter(n => n.toLowerCase() === lower)
  return matches.length === 1 ? catalog.table(matches[0]!) : undefined
}

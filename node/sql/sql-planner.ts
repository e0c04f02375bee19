/**
 * From SQL text to plans: parse, bind against a catalog, optimize. Shared by `env.sql()`
 * and the SQL session (and EXPLAIN, which prints both plans).
 *
 * @example
 * const { optimized } = planQuery(parseQuery('SELECT store, SUM(amount) FROM sales GROUP BY store'), catalog)
 */
import type { Query } from './ast.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { SqlCatalog } from './catalog.ts'
import type { DatasetSchema, Partitioning } from '../api/dataset-schema.ts'
import { bindQuery } from './binder/bind-query.ts'
import { optimize } from './optimizer/optimize.ts'
import { sqlTypeOfColumn, type SqlColumn } from './sql-types.ts'

export interface PlannedQuery {
  /** As bound, before any rule. */
  readonly logical: LogicalPlan
  /** After the optimizer. */
  readonly optimized: LogicalPlan
}

/** Binds and optimizes a query. @throws SqlError subclasses naming what is wrong and where */
export function planQuery (query: Query, catalog: SqlCatalog): PlannedQuery {
  const logical = bindQuery(query, { catalog, ctes: new Map() })
  const options = {
    ...(catalog.parallelism === undefined ? {} : { parallelism: catalog.parallelism }),
    ...(catalog.broadcastMaxRows === undefined ? {} : { broadcastMaxRows: catalog.broadcastMaxRows })
  }
  return { logical, optimized: optimize(logical, options) }
}

/** A dataset version as the catalog describes it to the planner. */
export interface DatasetDescription {
  readonly name: string
  readonly version: number | undefined
  readonly schema: DatasetSchema
  readonly rows: number
  readonly partitioning: Partitioning
  /** Columns known to hold no NULL in this version (no null checks are compiled for them). */
  readonly notNull?: ReadonlySet<string>
}

/** The SQL columns of a dataset. */
export function datasetColumns (d: DatasetDescription): SqlColumn[] {
  return d.schema.columns.map(c => ({ name: c.name, type: sqlTypeOfColumn(c.type), nullable: d.notNull?.has(c.name) !== true }))
}

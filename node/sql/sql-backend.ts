/**
 * Where a SQL session's statements run: the embedded peer over a data dir, or a mesh
 * reached through a client. Both answer the same questions, so the session is written
 * once (node/sql/sql-session.ts).
 *
 * @example
 * const backend = await embeddedSqlBackend({ dataDir, parallelism: 2 })
 */
import type { SqlCatalog } from './catalog.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { WritePlan } from './sql-write-plan.ts'
import type { JobGraph } from '../graph/job-graph.ts'

export interface SqlBackend {
  /** `DIR` (embedded) or `the mesh at MA`, for messages. */
  readonly where: string
  /** The datasets as tables, at their latest versions (which the plans made from it read). */
  catalog(options?: { signal?: AbortSignal }): Promise<SqlCatalog>
  /** Runs a query's plan (made from `text`) and resolves with its rows. */
  query(plan: LogicalPlan, text: string, options?: { signal?: AbortSignal }): Promise<unknown[][]>
  /** Runs a write (made from `text`) and resolves with the rows written and the version made. */
  write(w: WritePlan, text: string, before: number, options?: { signal?: AbortSignal }): Promise<{ rows: number, version: number | undefined }>
  /** The job graph a query's plan runs as (EXPLAIN). */
  graph(plan: LogicalPlan): Promise<JobGraph>
  /** Drops a dataset. */
  drop(name: string, options?: { signal?: AbortSignal }): Promise<void>
  close(): Promise<void>
}

/**
 * What a SQL statement gives back: rows (a query, SHOW TABLES, DESCRIBE), the text of
 * EXPLAIN, or a status line (INSERT, CREATE TABLE, DROP TABLE).
 *
 * @example
 * const r = await session.execute('SELECT 1 AS one')
 * if (r.kind === 'rows') console.log(r.columns[0].name, r.rows[0][0])   // one 1
 */
import type { SqlColumn } from './sql-types.ts'

export type SqlResult =
  | { readonly kind: 'rows', readonly columns: readonly SqlColumn[], readonly rows: readonly (readonly unknown[])[], readonly elapsedMs: number }
  | { readonly kind: 'explain', readonly text: string, readonly elapsedMs: number }
  | { readonly kind: 'status', readonly message: string, readonly rows: number | undefined, readonly elapsedMs: number }
  /**
   * A continuous query (one reading a streaming table): its rows arrive in `batches` as its
   * windows fire; the job ends with its input, or when the reader stops iterating or calls
   * `cancel()`. `elapsedMs` is the time to start it.
   */
  | { readonly kind: 'stream', readonly columns: readonly SqlColumn[], readonly batches: AsyncIterable<unknown[][]>, readonly jobId: string, readonly cancel: () => Promise<void>, readonly elapsedMs: number }

/** Result rows as objects keyed by column name (`--format json`). */
export function rowObjects (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): Record<string, unknown>[] {
  return rows.map(r => {
    const o: Record<string, unknown> = {}
    columns.forEach((c, i) => { o[c.name] = r[i] ?? null })
    return o
  })
}

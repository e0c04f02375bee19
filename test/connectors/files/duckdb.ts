/**
 * DuckDB (`@duckdb/node-api`) as the reference Parquet reader and writer of the file
 * connector tests: one in-memory instance per call.
 */
import { DuckDBInstance } from '@duckdb/node-api'

/** Runs `sql` in a fresh in-memory DuckDB and returns its rows as objects. */
export async function duck (sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(':memory:')
  try {
    const connection = await instance.connect()
    try {
      const reader = await connection.runAndReadAll(sql)
      return reader.getRowObjects() as Array<Record<string, unknown>>
    } finally {
      connection.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

/** A path as a SQL string literal. */
export function lit (s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

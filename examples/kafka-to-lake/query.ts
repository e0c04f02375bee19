/**
 * Reads the lake with DuckDB: revenue and sales per store over every committed part file,
 * the folders' `dt` and `store` read as columns (Hive partitioning).
 *
 *   node examples/kafka-to-lake/query.ts out/lake
 */
import { DuckDBInstance } from '@duckdb/node-api'

/** Revenue and sales per store and day in the lake at `dir`. */
export async function lakeTotals (dir: string): Promise<Array<{ dt: string, store: string, revenue: number, sales: number, minutes: number }>> {
  const instance = await DuckDBInstance.create(':memory:')
  try {
    const connection = await instance.connect()
    try {
      const glob = `${dir.replace(/\/$/, '')}/**/*.parquet`.replaceAll("'", "''")
      const reader = await connection.runAndReadAll(
        `SELECT CAST(dt AS VARCHAR) AS dt, store, round(sum(revenue), 2) AS revenue, CAST(sum(sales) AS INTEGER) AS sales, CAST(count(*) AS INTEGER) AS minutes
         FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY ALL ORDER BY dt, store`)
      return reader.getRowObjects() as Array<{ dt: string, store: string, revenue: number, sales: number, minutes: number }>
    } finally {
      connection.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

if (import.meta.main) {
  const dir = process.argv[2] ?? 'out/lake'
  console.table(await lakeTotals(dir))
}

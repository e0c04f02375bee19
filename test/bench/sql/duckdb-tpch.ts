/**
 * DuckDB as the reference of the SQL benchmark: an in-memory database (`SET threads = 2`)
 * holding the TPC-H-like tables of tpch-tables.ts (the same rows as the meshflow datasets,
 * appended through DuckDB's appender: timed as the load, not as a query), and a timed run
 * of a query whose rows come back as arrays of JS values (DATE as a Date, BIGINT/HUGEINT as
 * bigint).
 *
 * @example
 * const db = await DuckTpch.load(tpchTables(6_000_000)); const { rows, ms } = await db.query(TPCH_SQL.q1); db.close()
 */
import { DuckDBDateValue, DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { DAY } from '../batch/tpch-data.ts'
import type { TpchTable } from './tpch-tables.ts'

export class DuckTpch {
  readonly #instance: DuckDBInstance
  readonly #connection: DuckDBConnection

  private constructor (instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance
    this.#connection = connection
  }

  /** A database with `tables` (created and appended in order); `loaded` is called with each table's append time. */
  static async load (tables: readonly TpchTable[], loaded: (table: TpchTable, ms: number) => void, threads = 2): Promise<DuckTpch> {
    const instance = await DuckDBInstance.create(':memory:')
    const c = await instance.connect()
    try {
      await c.run(`SET threads = ${threads}`)
      for (const t of tables) {
        await c.run(`CREATE TABLE ${t.name} (${t.columns.map(col => `${col.name} ${col.duckdb}`).join(', ')})`)
        const started = performance.now()
        const a = await c.createAppender(t.name)
        const columns = t.columns
        for (let i = 0; i < t.rows; i++) {
          const row = t.generate(i)
          for (let j = 0; j < columns.length; j++) {
            const column = columns[j]!
            const v = row[column.name]!
            switch (column.duckdb) {
              case 'INTEGER': a.appendInteger(v as number); break
              case 'DOUBLE': a.appendDouble(v as number); break
              case 'DATE': a.appendDate(new DuckDBDateValue(Math.round((v as number) / DAY))); break
              case 'VARCHAR': a.appendVarchar(v as string); break
            }
          }
          a.endRow()
        }
        a.closeSync()
        loaded(t, performance.now() - started)
      }
      return new DuckTpch(instance, c)
    } catch (err) {
      c.closeSync()
      instance.closeSync()
      throw err
    }
  }

  /** Runs a statement that returns nothing (DDL, CREATE TABLE … AS). */
  async run (sql: string): Promise<void> {
    await this.#connection.run(sql)
  }

  /** Runs `sql`: its column names, rows (as JS values) and the time it took. */
  async query (sql: string): Promise<{ columns: string[], rows: unknown[][], ms: number }> {
    const started = performance.now()
    const reader = await this.#connection.runAndReadAll(sql)
    const ms = performance.now() - started
    return { columns: reader.columnNames(), rows: reader.getRowsJS() as unknown[][], ms }
  }

  /** Closes the connection and the database. */
  close (): void {
    this.#connection.closeSync()
    this.#instance.closeSync()
  }
}

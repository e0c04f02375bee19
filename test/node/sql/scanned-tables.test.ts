import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CatalogTable, SqlCatalog } from '../../../node/sql/catalog.ts'
import { parseStatement } from '../../../node/sql/parser/sql-parser.ts'
import { planQuery } from '../../../node/sql/sql-planner.ts'
import { scannedTables } from '../../../node/sql/scanned-tables.ts'

const table = (name: string, columns: string[]): CatalogTable => ({
  kind: 'dataset', name, version: 1, rows: 100, partitioning: { kind: 'round-robin', partitions: 1 },
  columns: columns.map(c => ({ name: c, type: 'BIGINT' as const, nullable: true }))
})
const tables: Record<string, CatalogTable> = { Sales: table('Sales', ['store', 'amount']), stores: table('stores', ['store', 'region']), regions: table('regions', ['region']) }
const catalog: SqlCatalog = { table: n => tables[n], tableNames: () => Object.keys(tables) }

function scanned (sql: string): string[] {
  const s = parseStatement(sql)
  if (s.kind !== 'query') throw new Error('not a query')
  return scannedTables(planQuery(s.query, catalog).optimized)
}

const ScannedTables = suite('scannedTables')

ScannedTables('names each dataset a plan scans once, by its catalog name, through joins, unions, CTEs and IN subqueries', () => {
  assert.equal(scanned('SELECT amount FROM sales'), ['Sales'])
  assert.equal(scanned('SELECT s.amount FROM sales s JOIN stores t ON s.store = t.store JOIN sales u ON u.store = t.store').sort(), ['Sales', 'stores'])
  assert.equal(scanned('WITH r AS (SELECT region FROM regions) SELECT store FROM stores WHERE region IN (SELECT region FROM r) UNION ALL SELECT store FROM sales').sort(), ['Sales', 'regions', 'stores'])
})

ScannedTables('names nothing for a query over no dataset', () => {
  assert.equal(scanned('SELECT 1 AS one'), [])
  assert.equal(scanned('SELECT 1 AS one UNION ALL SELECT 2'), [])
})

ScannedTables.run()

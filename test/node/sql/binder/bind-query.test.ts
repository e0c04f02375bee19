import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CatalogTable, SqlCatalog } from '../../../../node/sql/catalog.ts'
import type { LogicalPlan } from '../../../../node/sql/logical-plan.ts'
import { parseStatement } from '../../../../node/sql/parser/sql-parser.ts'
import { bindQuery } from '../../../../node/sql/binder/bind-query.ts'
import { referencedTables } from '../../../../node/sql/binder/referenced-tables.ts'

const tables: Record<string, CatalogTable> = {
  sales: {
    kind: 'dataset', name: 'sales', version: 1, rows: 1000, partitioning: { kind: 'round-robin', partitions: 2 },
    columns: [{ name: 'store', type: 'VARCHAR', nullable: true }, { name: 'amount', type: 'DOUBLE', nullable: true }, { name: 'qty', type: 'BIGINT', nullable: false }]
  },
  stores: {
    kind: 'dataset', name: 'Stores', version: 2, rows: 10, partitioning: { kind: 'round-robin', partitions: 1 },
    columns: [{ name: 'store', type: 'VARCHAR', nullable: false }, { name: 'region', type: 'VARCHAR', nullable: true }]
  }
}
const catalog: SqlCatalog = { table: n => tables[n === 'Stores' ? 'stores' : n], tableNames: () => ['sales', 'Stores'] }

function query (text: string) {
  const s = parseStatement(text)
  if (s.kind !== 'query') throw new Error('not a query')
  return s.query
}

function bind (text: string): LogicalPlan {
  return bindQuery(query(text), { catalog, ctes: new Map() })
}

function fails (text: string, name: string, position: string, fragment: string): void {
  try {
    bind(text)
  } catch (err) {
    const e = err as { name: string, line: number, column: number, message: string }
    assert.is(e.name, name, e.message)
    assert.is(`${e.line}:${e.column}`, position, e.message)
    assert.ok(e.message.includes(fragment), e.message)
    return
  }
  assert.unreachable(`${text} bound without an error`)
}

const Binder = suite('bindQuery')

Binder('types and names the output columns, aliases and derived names alike', () => {
  const plan = bind('SELECT store, amount * 2 AS double_amount, qty + 1 FROM sales')
  assert.equal(plan.columns.map(c => [c.name, c.type]), [['store', 'VARCHAR'], ['double_amount', 'DOUBLE'], ['(qty + 1)', 'BIGINT']])
  assert.is(plan.columns[2]!.nullable, false)
})

Binder('an aggregate query becomes aggregate → filter (HAVING) → project, with keys and aggregates deduplicated', () => {
  const plan = bind('SELECT store, SUM(amount) AS s, SUM(amount) / COUNT(*) AS avg FROM sales GROUP BY store HAVING COUNT(*) > 1')
  assert.is(plan.kind, 'project')
  const filter = (plan as Extract<LogicalPlan, { kind: 'project' }>).input
  assert.is(filter.kind, 'filter')
  const agg = (filter as Extract<LogicalPlan, { kind: 'filter' }>).input
  assert.is(agg.kind, 'aggregate')
  const a = agg as Extract<LogicalPlan, { kind: 'aggregate' }>
  assert.equal(a.aggregates.map(x => x.fn), ['sum', 'count_star'])
  assert.equal(plan.columns.map(c => c.type), ['VARCHAR', 'DOUBLE', 'DOUBLE'])
})

Binder('GROUP BY takes a select position or alias, ORDER BY an alias, a position or a hidden expression', () => {
  const byPos = bind('SELECT upper(store) AS u, COUNT(*) AS n FROM sales GROUP BY 1 ORDER BY n DESC, 1')
  assert.is(byPos.kind, 'sort')
  const sort = byPos as Extract<LogicalPlan, { kind: 'sort' }>
  assert.equal(sort.keys.map(k => [k.expr.kind === 'input' ? k.expr.index : -1, k.descending, k.nullsFirst]), [[1, true, false], [0, false, false]])
  const hidden = bind('SELECT store FROM sales ORDER BY amount')
  assert.is(hidden.kind, 'project')
  assert.equal(hidden.columns.map(c => c.name), ['store'])
})

Binder('IN (SELECT …) in WHERE is a semi join, NOT IN a null-aware anti join', () => {
  const semi = bind('SELECT store FROM sales WHERE store IN (SELECT store FROM stores) AND amount > 1')
  const find = (p: LogicalPlan, kind: string): LogicalPlan | undefined => {
    if (p.kind === kind) return p
    for (const c of p.kind === 'join' ? [p.left, p.right] : 'input' in p ? [p.input] : []) {
      const f = find(c, kind)
      if (f !== undefined) return f
    }
    return undefined
  }
  const j = find(semi, 'join') as Extract<LogicalPlan, { kind: 'join' }>
  assert.is(j.join, 'semi')
  const anti = find(bind('SELECT store FROM sales WHERE store NOT IN (SELECT store FROM stores)'), 'join') as Extract<LogicalPlan, { kind: 'join' }>
  assert.is(anti.join, 'anti')
  assert.is(anti.nullAware, true)
})

Binder('an unquoted table name matches a dataset whose name differs in case', () => {
  const plan = bind('SELECT region FROM STORES')
  assert.equal(plan.columns.map(c => c.name), ['region'])
})

Binder('errors name the problem and its line:column', () => {
  fails('SELECT amout FROM sales', 'SqlUnknownColumnError', '1:8', "did you mean 'amount'")
  fails('SELECT x FROM salez', 'SqlUnknownTableError', '1:15', "did you mean 'sales'")
  fails('SELECT store, amount FROM sales GROUP BY store', 'SqlAggregateError', '1:15', 'GROUP BY')
  fails('SELECT store FROM sales WHERE SUM(amount) > 1', 'SqlAggregateError', '1:31', 'WHERE')
  fails('SELECT store FROM sales s JOIN stores t ON s.store = t.store', 'SqlAmbiguousColumnError', '1:8', 'store')
  fails("SELECT store FROM sales WHERE amount = 'x'", 'SqlTypeError', '1:31', 'DOUBLE')
  fails('SELECT foo(amount) FROM sales', 'SqlUnknownFunctionError', '1:8', 'foo')
  fails('SELECT SUM(SUM(amount)) FROM sales', 'SqlAggregateError', '1:12', 'nested')
  fails('SELECT store FROM sales\nWHERE\n  nope > 1', 'SqlUnknownColumnError', '3:3', 'nope')
})

Binder('referencedTables lists the tables read, not the CTEs', () => {
  assert.equal(referencedTables(query('WITH t AS (SELECT * FROM sales) SELECT * FROM t JOIN stores ON t.store = stores.store WHERE t.store IN (SELECT store FROM extra)')).sort(), ['extra', 'sales', 'stores'])
})

Binder.run()

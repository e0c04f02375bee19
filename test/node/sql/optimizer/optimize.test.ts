import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CatalogTable, SqlCatalog } from '../../../../node/sql/catalog.ts'
import type { LogicalPlan } from '../../../../node/sql/logical-plan.ts'
import { parseStatement } from '../../../../node/sql/parser/sql-parser.ts'
import { planQuery } from '../../../../node/sql/sql-planner.ts'
import { explainLogical } from '../../../../node/sql/explain.ts'

const big: CatalogTable = {
  kind: 'dataset', name: 'lineitem', version: 1, rows: 6_000_000, partitioning: { kind: 'hash', column: 'l_orderkey', partitions: 4 },
  columns: ['l_orderkey', 'l_quantity', 'l_price', 'l_discount', 'l_shipdate', 'l_comment'].map(name => ({ name, type: name === 'l_comment' ? 'VARCHAR' as const : name === 'l_shipdate' ? 'TIMESTAMP' as const : 'DOUBLE' as const, nullable: false }))
}
const small: CatalogTable = {
  kind: 'dataset', name: 'orders', version: 1, rows: 1_500_000, partitioning: { kind: 'hash', column: 'o_orderkey', partitions: 4 },
  columns: [{ name: 'o_orderkey', type: 'DOUBLE', nullable: false }, { name: 'o_priority', type: 'VARCHAR', nullable: false }, { name: 'o_date', type: 'TIMESTAMP', nullable: false }]
}
const tiny: CatalogTable = {
  kind: 'dataset', name: 'nation', version: 1, rows: 25, partitioning: { kind: 'round-robin', partitions: 1 },
  columns: [{ name: 'n_key', type: 'DOUBLE', nullable: false }, { name: 'n_name', type: 'VARCHAR', nullable: false }]
}
const catalog: SqlCatalog = { table: n => ({ lineitem: big, orders: small, nation: tiny } as Record<string, CatalogTable>)[n], tableNames: () => ['lineitem', 'orders', 'nation'] }

function optimized (text: string): LogicalPlan {
  const s = parseStatement(text)
  if (s.kind !== 'query') throw new Error('not a query')
  return planQuery(s.query, catalog).optimized
}

function nodes (p: LogicalPlan): LogicalPlan[] {
  const children = p.kind === 'join' ? [p.left, p.right] : p.kind === 'union' ? [...p.inputs] : 'input' in p ? [p.input] : []
  return [p, ...children.flatMap(nodes)]
}

const Optimize = suite('optimize')

Optimize('pushes WHERE into the scan as its filter and as a pruning predicate, with DATE literals folded to timestamps', () => {
  const plan = optimized("SELECT SUM(l_price * l_discount) AS revenue FROM lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24")
  const scan = nodes(plan).find(n => n.kind === 'scan') as Extract<LogicalPlan, { kind: 'scan' }>
  assert.ok(!nodes(plan).some(n => n.kind === 'filter'), explainLogical(plan))
  assert.equal(scan.columns.map(c => c.name), ['l_quantity', 'l_price', 'l_discount', 'l_shipdate'])
  assert.equal(scan.predicate, {
    op: 'and',
    args: [
      { op: '>=', column: 'l_shipdate', value: Date.UTC(1994, 0, 1) },
      { op: '<', column: 'l_shipdate', value: Date.UTC(1995, 0, 1) },
      { op: '>=', column: 'l_discount', value: 0.05 },
      { op: '<=', column: 'l_discount', value: 0.07 },
      { op: '<', column: 'l_quantity', value: 24 }
    ]
  })
})

Optimize('turns a comma join with an equality in WHERE into a hash join, broadcasting the small side', () => {
  const plan = optimized("SELECT n_name, COUNT(*) FROM lineitem, nation WHERE l_orderkey = n_key AND n_name = 'FRANCE' GROUP BY n_name")
  const join = nodes(plan).find(n => n.kind === 'join') as Extract<LogicalPlan, { kind: 'join' }>
  assert.is(join.join, 'inner')
  assert.is(join.leftKeys.length, 1)
  assert.is(join.strategy, 'broadcast-right')
  assert.equal(join.left.columns.map(c => c.name), ['l_orderkey'])
  const nation = join.right as Extract<LogicalPlan, { kind: 'scan' }>
  assert.equal(nation.predicate, { op: '=', column: 'n_name', value: 'FRANCE' })
})

Optimize('repartitions both sides when neither is small, and keeps a filter over the outer side of a LEFT JOIN above it', () => {
  const plan = optimized('SELECT o_priority, l_quantity FROM orders LEFT JOIN lineitem ON o_orderkey = l_orderkey WHERE l_quantity IS NULL')
  const join = nodes(plan).find(n => n.kind === 'join') as Extract<LogicalPlan, { kind: 'join' }>
  assert.is(join.strategy, 'shuffle')
  assert.ok(nodes(plan).some(n => n.kind === 'filter'), 'the IS NULL over the null-extended side stays above the join')
})

Optimize('folds constant expressions and drops a WHERE TRUE', () => {
  const plan = optimized('SELECT 1 + 2 * 3 AS x, l_price FROM lineitem WHERE 1 = 1')
  const project = nodes(plan).find(n => n.kind === 'project') as Extract<LogicalPlan, { kind: 'project' }>
  assert.equal(project.exprs[0], { kind: 'const', value: 7, type: 'INTEGER', nullable: false })
  const scan = nodes(plan).find(n => n.kind === 'scan') as Extract<LogicalPlan, { kind: 'scan' }>
  assert.is(scan.filter, undefined)
})

Optimize('joins two datasets hash-partitioned alike on the key where they are (co-located), at any parallelism', () => {
  const at = (parallelism: number): SqlCatalog => ({ ...catalog, parallelism })
  const q = 'SELECT o_priority, SUM(l_quantity) FROM orders JOIN lineitem ON o_orderkey = l_orderkey GROUP BY o_priority'
  const s = parseStatement(q)
  if (s.kind !== 'query') throw new Error('not a query')
  const join = (p: LogicalPlan) => nodes(p).find(n => n.kind === 'join') as Extract<LogicalPlan, { kind: 'join' }>
  const four = join(planQuery(s.query, at(4)).optimized)
  assert.is(four.strategy, 'co-located')
  assert.is(four.partitions, 4)
  // partition q of both sides goes to subtask q % 2 at parallelism 2: still co-located
  const two = join(planQuery(s.query, at(2)).optimized)
  assert.is(two.strategy, 'co-located')
  assert.is(two.partitions, 2)
  // without a known parallelism nothing is assumed
  assert.is(join(planQuery(s.query, catalog).optimized).strategy, 'shuffle')
  // a key that is computed is not where the partitioning put it
  const computed = parseStatement('SELECT COUNT(*) FROM orders JOIN lineitem ON o_orderkey + 1 = l_orderkey')
  if (computed.kind !== 'query') throw new Error('not a query')
  assert.is(join(planQuery(computed.query, at(4)).optimized).strategy, 'shuffle')
})

Optimize('a join emits only the columns read above it (its keys do not ride along)', () => {
  const plan = optimized("SELECT n_name, COUNT(*) FROM lineitem, nation WHERE l_orderkey = n_key GROUP BY n_name")
  const join = nodes(plan).find(n => n.kind === 'join') as Extract<LogicalPlan, { kind: 'join' }>
  assert.equal(join.columns.map(c => c.name), ['n_name'])
  assert.equal(join.outputs, [2])
  assert.equal(join.left.columns.map(c => c.name), ['l_orderkey'])
  assert.equal(join.right.columns.map(c => c.name), ['n_key', 'n_name'])
})

Optimize.run()

/**
 * Queries: SELECT lists, FROM with joins and derived tables, WHERE/GROUP BY/HAVING,
 * ORDER BY, LIMIT/OFFSET, set operations, VALUES, WITH; TPC-H Q1, Q3, Q5, Q6, Q10, Q12 as
 * DuckDB writes them; unsupported query constructs.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { shape, id, col, num, str, bin, call, table, query, select, thrown } from './support.ts'
import type { Expr, TableRef } from '../../../../node/sql/ast.ts'

const Queries = suite('convertQuery')

Queries('select list: DISTINCT, aliases (with and without AS), *, t.*', () => {
  const s = select('SELECT DISTINCT a AS x, b y, t.*, * FROM t')
  assert.ok(s.distinct)
  assert.equal(shape(s.items), [
    { expr: col('a'), alias: id('x') },
    { expr: col('b'), alias: id('y') },
    { expr: { kind: 'star', table: id('t') }, alias: undefined },
    { expr: { kind: 'star', table: undefined }, alias: undefined }
  ])
  assert.not.ok(select('SELECT a FROM t').distinct)
  assert.is(select('SELECT 1').from, undefined)
})

Queries('FROM: aliases, joins of every kind, USING, comma lists as cross joins, derived tables, parenthesised joins', () => {
  const from = (sql: string): unknown => shape(select(sql).from)
  assert.equal(from('SELECT * FROM sales AS s'), table('sales', 's'))
  assert.equal(from('SELECT * FROM sales s'), table('sales', 's'))
  const on = bin('=', col('id', 'a'), col('id', 'b'))
  for (const [sql, kind] of [['JOIN', 'inner'], ['INNER JOIN', 'inner'], ['LEFT JOIN', 'left'], ['LEFT OUTER JOIN', 'left'], ['RIGHT JOIN', 'right'], ['RIGHT OUTER JOIN', 'right'], ['FULL JOIN', 'full'], ['FULL OUTER JOIN', 'full']]) {
    assert.equal(from(`SELECT * FROM a ${sql} b ON a.id = b.id`), { kind: 'join', join: kind, left: table('a'), right: table('b'), on, using: undefined }, sql)
  }
  assert.equal(from('SELECT * FROM a CROSS JOIN b'), { kind: 'join', join: 'cross', left: table('a'), right: table('b'), on: undefined, using: undefined })
  assert.equal(from('SELECT * FROM a, b, c'), {
    kind: 'join', join: 'cross', left: { kind: 'join', join: 'cross', left: table('a'), right: table('b'), on: undefined, using: undefined }, right: table('c'), on: undefined, using: undefined
  })
  assert.equal(from('SELECT * FROM a x JOIN b USING (id, k)'), {
    kind: 'join',
    join: 'inner',
    left: table('a', 'x'),
    right: table('b'),
    on: bin('AND', bin('=', col('id', 'x'), col('id', 'b')), bin('=', col('k', 'x'), col('k', 'b'))),
    using: [id('id'), id('k')]
  })
  const derived = select('SELECT * FROM (SELECT a FROM t) AS d').from as TableRef
  assert.equal([derived.kind, shape(derived.kind === 'derived' && derived.alias), derived.pos.column], ['derived', id('d'), 15])
  assert.equal(from('SELECT * FROM (a JOIN b ON a.id = b.id) LEFT JOIN c ON true'), {
    kind: 'join', join: 'left', left: { kind: 'join', join: 'inner', left: table('a'), right: table('b'), on, using: undefined }, right: table('c'), on: { kind: 'boolean', value: true }, using: undefined
  })
  // Joins chain left to right.
  const chain = select('SELECT * FROM a JOIN b ON true JOIN c ON true').from
  assert.ok(chain?.kind === 'join' && chain.left.kind === 'join' && chain.right.kind === 'table')
})

Queries('WHERE, GROUP BY, HAVING, ORDER BY with directions and NULLS, LIMIT and OFFSET', () => {
  const q = query('SELECT store, sum(amount) FROM sales WHERE amount > 0 GROUP BY store HAVING count(*) > 1 ORDER BY 2 DESC NULLS FIRST, store, amount ASC NULLS LAST LIMIT 10 OFFSET 5')
  const s = q.body
  if (s.kind !== 'select') throw new Error('shape')
  assert.equal(shape(s.where), bin('>', col('amount'), num('0')))
  assert.equal(shape(s.groupBy), [col('store')])
  assert.equal(shape(s.having), bin('>', call('count', [{ kind: 'star', table: undefined }]), num('1')))
  assert.equal(shape(q.orderBy), [
    { expr: num('2'), direction: 'desc', nulls: 'first' },
    { expr: col('store'), direction: 'asc', nulls: undefined },
    { expr: col('amount'), direction: 'asc', nulls: 'last' }
  ])
  assert.equal([shape(q.limit), shape(q.offset)], [num('10'), num('5')])
  const mysql = query('SELECT a FROM t LIMIT 5, 10')
  assert.equal([shape(mysql.limit), shape(mysql.offset)], [num('10'), num('5')])
  const bare = query('SELECT a FROM t')
  assert.equal([bare.limit, bare.offset, bare.orderBy], [undefined, undefined, []])
})

Queries('set operations: UNION [ALL], INTERSECT binding tighter, EXCEPT, parenthesised queries with ORDER BY', () => {
  const q = query('SELECT a FROM x UNION ALL SELECT a FROM y INTERSECT SELECT a FROM z EXCEPT SELECT 1 ORDER BY 1')
  assert.equal(shape(q.orderBy), [{ expr: num('1'), direction: 'asc', nulls: undefined }])
  const b = q.body
  if (b.kind !== 'set' || b.left.kind !== 'set' || b.left.right.kind !== 'set') throw new Error('shape')
  assert.equal([b.op, b.all, b.left.op, b.left.all, b.left.right.op], ['except', false, 'union', true, 'intersect'])
  const u = query('SELECT 1 UNION SELECT 2').body
  assert.ok(u.kind === 'set' && u.op === 'union' && !u.all)
  const nested = query('(SELECT a FROM t ORDER BY a LIMIT 3) UNION ALL (SELECT b FROM u)').body
  if (nested.kind !== 'set' || nested.left.kind !== 'query') throw new Error('shape')
  assert.equal(shape(nested.left.limit), num('3'))
})

Queries('VALUES as a query and in INSERT, with its keyword position', () => {
  const q = query("VALUES (1, 'a'), (2, NULL)")
  assert.equal(shape(q.body), { kind: 'values', rows: [[num('1'), str('a')], [num('2'), { kind: 'null' }]] })
  assert.is(q.body.pos.column, 1)
})

Queries('WITH: CTEs with and without column lists, used in FROM', () => {
  const q = query('WITH x (a, b) AS (SELECT 1, 2), y AS (SELECT a FROM x) SELECT * FROM y')
  assert.equal(q.with.map(c => [shape(c.name), shape(c.columns)]), [[id('x'), [id('a'), id('b')]], [id('y'), []]])
  assert.equal(shape(q.with[1]?.query.body), shape(select('SELECT a FROM x')))
  assert.is(q.pos.column, 1)
})

Queries('positions of a multi-line query: select, tables, derived tables', () => {
  const sql = 'WITH c AS (SELECT 1)\nSELECT s.store\n  FROM sales s\n  JOIN (SELECT 1 AS k) d ON true'
  const q = query(sql)
  const s = q.body
  if (s.kind !== 'select' || s.from?.kind !== 'join') throw new Error('shape')
  assert.equal(q.pos, { line: 1, column: 1, offset: 0 })
  assert.equal(s.pos, { line: 2, column: 1, offset: 21 })
  assert.equal(s.from.left.pos, { line: 3, column: 8, offset: sql.indexOf('sales') })
  assert.equal(s.from.right.pos, { line: 4, column: 8, offset: sql.indexOf('(SELECT 1 AS') })
})

// TPC-H as DuckDB's tpch extension writes the queries.
const TPCH: Record<string, string> = {
  Q1: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
    avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
FROM lineitem
WHERE l_shipdate <= CAST('1998-09-02' AS date)
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus;`,
  Q3: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
FROM customer, orders, lineitem
WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate < CAST('1995-03-15' AS date) AND l_shipdate > CAST('1995-03-15' AS date)
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate
LIMIT 10;`,
  Q5: `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM customer, orders, lineitem, supplier, nation, region
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey
  AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'ASIA'
  AND o_orderdate >= CAST('1994-01-01' AS date) AND o_orderdate < CAST('1995-01-01' AS date)
GROUP BY n_name
ORDER BY revenue DESC;`,
  Q6: `SELECT sum(l_extendedprice * l_discount) AS revenue
FROM lineitem
WHERE l_shipdate >= CAST('1994-01-01' AS date) AND l_shipdate < CAST('1995-01-01' AS date)
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24;`,
  Q10: `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_address, c_phone, c_comment
FROM customer, orders, lineitem, nation
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= CAST('1993-10-01' AS date)
  AND o_orderdate < CAST('1994-01-01' AS date) AND l_returnflag = 'R' AND c_nationkey = n_nationkey
GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
ORDER BY revenue DESC
LIMIT 20;`,
  Q12: `SELECT l_shipmode,
    sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
    sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
FROM orders, lineitem
WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate
  AND l_shipdate < l_commitdate AND l_receiptdate >= CAST('1994-01-01' AS date) AND l_receiptdate < CAST('1995-01-01' AS date)
GROUP BY l_shipmode
ORDER BY l_shipmode;`
}

/** The table names of a FROM, left to right. */
function tables (ref: TableRef | undefined): string[] {
  if (ref === undefined) return []
  if (ref.kind === 'table') return [ref.name.name]
  if (ref.kind === 'join') return [...tables(ref.left), ...tables(ref.right)]
  return ['?']
}

/** The conjuncts of an AND tree. */
function conjuncts (e: Expr | undefined): Expr[] {
  if (e === undefined) return []
  return e.kind === 'binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e]
}

const TpcH = suite('convertQuery TPC-H')

TpcH('Q1, Q3, Q5, Q6, Q10, Q12 parse into their tables, filters, groups, orders and limits', () => {
  const expected: Record<string, { tables: string[], conjuncts: number, groupBy: number, orderBy: [string, string][], limit?: string, items: number }> = {
    Q1: { tables: ['lineitem'], conjuncts: 1, groupBy: 2, orderBy: [['l_returnflag', 'asc'], ['l_linestatus', 'asc']], items: 10 },
    Q3: { tables: ['customer', 'orders', 'lineitem'], conjuncts: 5, groupBy: 3, orderBy: [['revenue', 'desc'], ['o_orderdate', 'asc']], limit: '10', items: 4 },
    Q5: { tables: ['customer', 'orders', 'lineitem', 'supplier', 'nation', 'region'], conjuncts: 9, groupBy: 1, orderBy: [['revenue', 'desc']], items: 2 },
    Q6: { tables: ['lineitem'], conjuncts: 4, groupBy: 0, orderBy: [], items: 1 },
    Q10: { tables: ['customer', 'orders', 'lineitem', 'nation'], conjuncts: 6, groupBy: 7, orderBy: [['revenue', 'desc']], limit: '20', items: 8 },
    Q12: { tables: ['orders', 'lineitem'], conjuncts: 6, groupBy: 1, orderBy: [['l_shipmode', 'asc']], items: 3 }
  }
  for (const [name, sql] of Object.entries(TPCH)) {
    const q = query(sql)
    const s = q.body
    if (s.kind !== 'select') throw new Error(name)
    const want = expected[name]
    if (want === undefined) throw new Error(name)
    assert.equal(tables(s.from), want.tables, name)
    assert.is(conjuncts(s.where).length, want.conjuncts, name)
    assert.is(s.groupBy.length, want.groupBy, name)
    assert.is(s.items.length, want.items, name)
    assert.equal(q.orderBy.map(o => [o.expr.kind === 'column' ? o.expr.name.name : '?', o.direction]), want.orderBy, name)
    assert.equal(q.limit === undefined ? undefined : shape(q.limit), want.limit === undefined ? undefined : num(want.limit), name)
  }
})

TpcH('Q6 in detail: the date casts, BETWEEN and their positions', () => {
  const s = select(TPCH.Q6 as string)
  const [ge, lt, between, qty] = conjuncts(s.where)
  assert.equal(shape(ge), bin('>=', col('l_shipdate'), { kind: 'cast', arg: str('1994-01-01'), type: { name: 'DATE', args: [] }, try: false }))
  assert.equal(shape(between), { kind: 'between', arg: col('l_discount'), low: num('0.05'), high: num('0.07'), negated: false })
  assert.equal(shape(qty), bin('<', col('l_quantity'), num('24')))
  assert.equal([ge?.pos.line, ge?.pos.column], [3, 7])
  assert.equal(lt?.kind === 'binary' && [lt.right.pos.line, lt.right.pos.column], [3, 65], 'the CAST keyword')
  assert.equal([between?.pos.line, between?.pos.column], [4, 7])
})

TpcH('Q12: the CASE inside SUM and the IN list', () => {
  const s = select(TPCH.Q12 as string)
  const high = s.items[1]?.expr
  assert.ok(high?.kind === 'call' && high.args[0]?.kind === 'case')
  assert.equal(shape(conjuncts(s.where)[1]), { kind: 'in-list', arg: col('l_shipmode'), list: [str('MAIL'), str('SHIP')], negated: false })
})

const Unsupported = suite('convertQuery unsupported')

Unsupported('query constructs meshflow does not run are named with their position', () => {
  const cases: [string, string][] = [
    ['SELECT * FROM (VALUES (1)) v(a)', 'A column list in the alias v(…) is not supported at 1:28'],
    ['SELECT * FROM s.t', 'A qualified table name (s.t) is not supported at 1:15'],
    ['WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r', 'WITH RECURSIVE is not supported at 1:1'],
    ['SELECT DISTINCT ON (a) a FROM t', 'DISTINCT ON is not supported at 1:1'],
    ['SELECT a FROM t GROUP BY ALL', 'GROUP BY ALL is not supported at 1:1'],
    ['SELECT a FROM t NATURAL JOIN u', 'NATURAL JOIN is not supported at 1:30'],
    ['SELECT * FROM generate_series(1, 3)', 'The table function generate_series is not supported at 1:15'],
    ['SELECT * FROM t, LATERAL (SELECT 1) x', 'LATERAL is not supported at 1:26'],
    ['SELECT a FROM t QUALIFY a > 1', 'QUALIFY is not supported at 1:25']
  ]
  for (const [sql, message] of cases) {
    const err = thrown(() => query(sql))
    assert.is(err.name, 'SqlUnsupportedError', sql)
    assert.is(err.message, message, sql)
    assert.is(err.query, sql)
  }
})

Queries.run()
TpcH.run()
Unsupported.run()

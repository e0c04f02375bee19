/**
 * The SQL benchmark's queries: TPC-H Q1, Q3, Q5, Q6, Q10 and Q12 with the substitution
 * parameters of the specification's validation run (§2.4: Q1 DELTA 90; Q3 BUILDING,
 * 1995-03-15; Q5 ASIA, 1994-01-01; Q6 1994-01-01, 0.06, 24; Q10 1993-10-01; Q12 MAIL, SHIP,
 * 1994-01-01), one text run unchanged by meshflow and DuckDB; the pruning pair over
 * `lineitem_by_date`; and `sameRows`, which compares two systems' answers within float
 * tolerance and throws naming the first difference.
 *
 * Q6's discount range is written as its values (`BETWEEN 0.05 AND 0.07`), not as the spec's
 * `0.06 - 0.01 AND 0.06 + 0.01`: in DOUBLE arithmetic 0.06 + 0.01 is 0.06999999999999999,
 * which drops the discounts of exactly 0.07 that DuckDB's DECIMAL literals keep.
 *
 * @example
 * const { rows } = await session.execute(TPCH_SQL.q1); sameRows('q1', 'meshflow', duckRows, normaliseRows(rows))
 */

export type TpchQuery = 'q1' | 'q3' | 'q5' | 'q6' | 'q10' | 'q12'
export const TPCH_QUERIES: readonly TpchQuery[] = ['q1', 'q3', 'q5', 'q6', 'q10', 'q12']

/** The queries' text, identical for every system (tables and columns of tpch-tables.ts). */
export const TPCH_SQL: Record<TpchQuery, string> = {
  q1: `SELECT l_returnflag, l_linestatus,
       sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
       count(*) AS count_order
FROM lineitem
WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus`,

  q3: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
FROM customer, orders, lineitem
WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate
LIMIT 10`,

  q5: `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM customer, orders, lineitem, supplier, nation, region
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
  AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
  AND r_name = 'ASIA'
  AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1994-01-01' + INTERVAL '1' YEAR
GROUP BY n_name
ORDER BY revenue DESC`,

  q6: `SELECT sum(l_extendedprice * l_discount) AS revenue
FROM lineitem
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`,

  q10: `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_address, c_phone, c_comment
FROM customer, orders, lineitem, nation
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate >= DATE '1993-10-01' AND o_orderdate < DATE '1993-10-01' + INTERVAL '3' MONTH
  AND l_returnflag = 'R' AND c_nationkey = n_nationkey
GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
ORDER BY revenue DESC
LIMIT 20`,

  q12: `SELECT l_shipmode,
       sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
       sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
FROM orders, lineitem
WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')
  AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
  AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1994-01-01' + INTERVAL '1' YEAR
GROUP BY l_shipmode
ORDER BY l_shipmode`
}

/** The pruning window: 16 days of the ~2,400 the ship dates span (~1% of the rows, so of the date-ordered segments). */
export const PRUNE_WINDOW = { from: Date.UTC(1995, 5, 1), to: Date.UTC(1995, 5, 17) }

/**
 * The pruning pair over `lineitem_by_date` (segments in ship-date order): the same
 * aggregate over ~1% of the segments (`selective`) and over all of them (`full`: a
 * predicate every row passes, so both pay for a filter); `empty` selects none.
 */
export const PRUNE_SQL = {
  selective: `SELECT count(*) AS n, sum(l_extendedprice * l_discount) AS revenue FROM lineitem_by_date
WHERE l_shipdate >= DATE '1995-06-01' AND l_shipdate < DATE '1995-06-17'`,
  full: `SELECT count(*) AS n, sum(l_extendedprice * l_discount) AS revenue FROM lineitem_by_date
WHERE l_shipdate >= DATE '1992-01-01'`,
  /** No segment at all (every ship date is after 1992-01-01): what a query costs besides its data. */
  empty: `SELECT count(*) AS n, sum(l_extendedprice * l_discount) AS revenue FROM lineitem_by_date
WHERE l_shipdate < DATE '1992-01-01'`
} as const

/** A result as plain comparable values: Date → epoch ms, bigint → number. */
export function normaliseRows (rows: readonly (readonly unknown[])[]): unknown[][] {
  return rows.map(r => r.map(v => v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v))
}

/** A query's answer: column names (lower case) and normalised rows. */
export interface Answer {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly unknown[])[]
}

const close = (a: unknown, b: unknown): boolean =>
  typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) : a === b

/**
 * Throws naming the first difference between `got` (of `system`) and `want` (of
 * `reference`): column names, row count, or a value beyond float tolerance (rows in order:
 * every query orders its result, or has one row).
 */
export function sameRows (query: string, system: string, reference: string, want: Answer, got: Answer): void {
  const where = `${query}: ${system} differs from ${reference}`
  if (want.columns.join() !== got.columns.join()) throw new Error(`${where} in its columns: ${got.columns.join(', ')} != ${want.columns.join(', ')}`)
  if (want.rows.length !== got.rows.length) throw new Error(`${where}: ${got.rows.length} rows, not ${want.rows.length}: ${JSON.stringify(got.rows.slice(0, 3))}`)
  for (let i = 0; i < want.rows.length; i++) {
    const w = want.rows[i]!
    const g = got.rows[i]!
    for (let j = 0; j < w.length; j++) {
      if (!close(w[j], g[j])) throw new Error(`${where} in row ${i}, column ${want.columns[j]}: ${String(g[j])} != ${String(w[j])}`)
    }
  }
}

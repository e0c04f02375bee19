/**
 * The queries meshflow SQL is checked with against DuckDB (duckdb-compare.test.ts), over the
 * tables of fixtures/sql-data.ts. Every computed column has an alias so both engines name it
 * alike. The SQL is standard (DuckDB-only syntax is avoided); where DuckDB makes an arguable
 * choice a comment says so.
 *
 * `ordered` marks a query with ORDER BY: its rows must come in order, except that rows
 * equal on every column listed in `orderKeys` (0-based result columns, default all) may come
 * in any order among themselves. A LIMIT under ORDER BY always has a total order, so the
 * rows it keeps are the same in any correct engine.
 *
 * @example
 * for (const q of QUERIES) compareResults(await oracle.query(q.sql), await session.execute(q.sql), q)
 */
import { QUERIES_MORE } from './queries-more.ts'

/** One query of the comparison. */
export interface SqlQuery {
  readonly name: string
  readonly sql: string
  readonly ordered?: boolean
  readonly orderKeys?: readonly number[]
}

/** Projections, filters, NULL handling, CASE, CAST, COALESCE, BETWEEN, LIKE, three-valued logic. */
const BASICS: readonly SqlQuery[] = [
  { name: 'select star', sql: 'SELECT * FROM customers' },
  { name: 'select columns of every type', sql: 'SELECT order_id, cust_id, status, amount, qty, ordered_at, paid, big FROM orders' },
  { name: 'arithmetic expressions', sql: 'SELECT order_id, amount * 2 + 1 AS a2, qty * 3 - 1 AS q3, -amount AS neg, amount + qty AS mixed FROM orders' },
  // 2.5 is a DECIMAL literal in DuckDB (the oracle maps DECIMAL to DOUBLE, meshflow's type of 2.5)
  { name: 'constant select without FROM', sql: 'SELECT 1 AS one, 2.5 AS half, \'x\' AS s, TRUE AS t, 1 + 2 * 3 AS seven' },
  { name: 'where comparison', sql: 'SELECT order_id, amount FROM orders WHERE amount > 1000' },
  { name: 'where and or', sql: 'SELECT order_id, region, amount FROM orders WHERE (region = \'north\' OR region = \'east\') AND amount <= 0' },
  { name: 'where not excludes null', sql: 'SELECT order_id, amount FROM orders WHERE NOT (amount > 100)' },
  { name: 'where not-equal', sql: 'SELECT order_id, status FROM orders WHERE status <> \'Open\'' },
  { name: 'where on boolean column', sql: 'SELECT order_id, paid FROM orders WHERE paid' },
  { name: 'where is null', sql: 'SELECT order_id, cust_id, amount FROM orders WHERE cust_id IS NULL OR amount IS NULL' },
  { name: 'where is not null on every type', sql: 'SELECT cust_id FROM customers WHERE name IS NOT NULL AND vip IS NOT NULL AND signup IS NOT NULL AND credit IS NOT NULL AND cust_id IS NOT NULL' },
  { name: 'between numbers', sql: 'SELECT order_id, amount FROM orders WHERE amount BETWEEN 0 AND 100' },
  { name: 'not between', sql: 'SELECT order_id, qty FROM orders WHERE qty NOT BETWEEN 5 AND 45' },
  { name: 'in list with null', sql: 'SELECT order_id, cust_id FROM orders WHERE cust_id IN (1, 2, 3, NULL)' },
  { name: 'not in list', sql: 'SELECT order_id, region FROM orders WHERE region NOT IN (\'north\', \'south\')' },
  { name: 'searched case', sql: 'SELECT order_id, CASE WHEN amount > 1000 THEN \'big\' WHEN amount > 0 THEN \'small\' WHEN amount IS NULL THEN \'none\' ELSE \'neg\' END AS size FROM orders' },
  { name: 'simple case with null operand', sql: 'SELECT order_id, CASE status WHEN \'Open\' THEN 1 WHEN \'closed\' THEN 2 ELSE 0 END AS code FROM orders' },
  { name: 'case without else gives null', sql: 'SELECT order_id, CASE WHEN paid THEN amount END AS paid_amount FROM orders' },
  { name: 'coalesce', sql: 'SELECT order_id, COALESCE(amount, 0) AS a, COALESCE(status, region, \'none\') AS s, COALESCE(qty, 0) AS q FROM orders' },
  { name: 'cast number types', sql: 'SELECT order_id, CAST(qty AS DOUBLE) AS qd, CAST(cust_id AS INTEGER) AS ci, CAST(order_id AS INTEGER) AS oi FROM orders' },
  // DuckDB rounds a DOUBLE cast to an integer half to even (2.5 → 2, 3.5 → 4, -0.75 → -1);
  // amounts are multiples of 0.25, so this shows truncation and half-away-from-zero rounding
  { name: 'cast double to bigint rounds', sql: 'SELECT order_id, amount, CAST(amount AS BIGINT) AS ab FROM orders' },
  { name: 'cast to and from varchar', sql: 'SELECT order_id, CAST(order_id AS VARCHAR) AS s, CAST(CAST(qty AS VARCHAR) AS BIGINT) AS back, CAST(\'42\' AS INTEGER) AS n FROM orders' },
  { name: 'cast timestamp to date', sql: 'SELECT order_id, CAST(ordered_at AS DATE) AS d FROM orders' },
  { name: 'like with percent and underscore', sql: 'SELECT cust_id, name FROM customers WHERE name LIKE \'%e_\' OR name LIKE \'_pp%\' OR name LIKE \'Mixed%\'' },
  { name: 'like is case sensitive', sql: 'SELECT cust_id, city FROM customers WHERE city LIKE \'b%\'' },
  { name: 'like escape', sql: 'SELECT cust_id, name FROM customers WHERE name LIKE \'%!%%\' ESCAPE \'!\' OR name LIKE \'%#_%\' ESCAPE \'#\'' },
  // in standard SQL (and DuckDB) a backslash in a string literal is an ordinary character
  { name: 'like escape backslash', sql: 'SELECT cust_id, name FROM customers WHERE name LIKE \'%\\_%\' ESCAPE \'\\\'' },
  { name: 'not like and quotes', sql: 'SELECT cust_id, name FROM customers WHERE name NOT LIKE \'%a%\' OR name = \'O\'\'Brien\'' },
  { name: 'three-valued logic in projections', sql: 'SELECT order_id, paid AND amount > 0 AS a, paid OR amount > 0 AS o, NOT paid AS n, paid IS NULL AS pn FROM orders' },
  { name: 'null literal logic', sql: 'SELECT NULL = NULL AS eq, NULL IS NULL AS isn, NULL AND FALSE AS af, NULL OR TRUE AS ot, NULL AND TRUE AS at, NOT (NULL = 1) AS nn' },
  { name: 'comparison with null matches nothing', sql: 'SELECT order_id FROM orders WHERE cust_id = NULL OR NOT (cust_id <> NULL)' },
  { name: 'is true and is not false', sql: 'SELECT order_id, paid FROM orders WHERE paid IS NOT FALSE' }
]

/** String, math and date/time functions. */
const FUNCTIONS: readonly SqlQuery[] = [
  // length() is BIGINT in DuckDB and counts code points ('Zoë' is 3: its ë is one code point and one UTF-16 unit)
  { name: 'upper lower length', sql: 'SELECT cust_id, upper(name) AS u, lower(name) AS l, length(name) AS n FROM customers' },
  { name: 'substring both forms', sql: 'SELECT cust_id, substring(name, 2, 3) AS a, SUBSTRING(name FROM 3 FOR 2) AS b, substring(name, 4) AS c FROM customers' },
  { name: 'trim and replace', sql: 'SELECT cust_id, trim(name) AS t, replace(name, \'_\', \'-\') AS r, replace(city, \'er\', \'ER\') AS c FROM customers' },
  // concat skips NULL arguments (as in PostgreSQL); || gives NULL when either side is NULL
  { name: 'concat and pipes', sql: 'SELECT cust_id, concat(name, \'/\', city) AS c, name || \'@\' || city AS p FROM customers' },
  { name: 'abs round floor ceil', sql: 'SELECT order_id, abs(amount) AS a, abs(qty) AS aq, round(amount / 7, 2) AS r2, floor(amount / 7) AS f, ceil(amount / 7) AS c FROM orders' },
  // round(x) on DOUBLE rounds half away from zero in DuckDB (round(-2.5) = -3), unlike JS Math.round
  { name: 'round half away from zero', sql: 'SELECT order_id, amount, round(amount) AS r, round(amount / 10, 1) AS r1 FROM orders' },
  { name: 'sqrt and power', sql: 'SELECT order_id, sqrt(abs(amount)) AS s, power(qty, 2) AS p2, power(amount / 100, 3) AS p3 FROM orders' },
  { name: 'modulo integer and double', sql: 'SELECT order_id, qty % 7 AS qm, amount % 7 AS am, -qty % 4 AS nm FROM orders' },
  // / on integers gives DOUBLE (DuckDB's rule, kept by meshflow)
  { name: 'integer and double division', sql: 'SELECT order_id, qty / 4 AS qd, amount / 3 AS ad, order_id / qty AS oq FROM orders' },
  // x / 0 and x % 0 are NULL (the oracle runs with ieee_floating_point_ops = false)
  { name: 'division by zero is null', sql: 'SELECT order_id, amount / 0 AS a, qty / 0 AS q, qty % 0 AS m, amount / (qty - qty) AS z FROM orders' },
  // EXTRACT gives BIGINT in DuckDB
  { name: 'extract year month day', sql: 'SELECT order_id, EXTRACT(YEAR FROM ordered_at) AS y, EXTRACT(MONTH FROM ordered_at) AS m, EXTRACT(DAY FROM ordered_at) AS d FROM orders' },
  { name: 'date_trunc month and year', sql: 'SELECT order_id, date_trunc(\'month\', ordered_at) AS m, date_trunc(\'year\', ordered_at) AS y, date_trunc(\'day\', ordered_at) AS d FROM orders' },
  { name: 'timestamp compared with date literal', sql: 'SELECT order_id, ordered_at FROM orders WHERE ordered_at >= DATE \'2024-02-29\' AND ordered_at < DATE \'2024-04-01\'' },
  { name: 'timestamp literal comparison', sql: 'SELECT id, ts FROM events WHERE ts > TIMESTAMP \'2024-06-30 12:00:00\' AND ts <= TIMESTAMP \'2024-07-02 00:00:00\'' },
  { name: 'timestamp between selects few segments', sql: 'SELECT id, kind, value FROM events WHERE ts BETWEEN TIMESTAMP \'2024-03-01 00:00:00\' AND TIMESTAMP \'2024-03-08 00:00:00\'' },
  // adding a month clamps to the month's last day in DuckDB (2024-01-31 + 1 month = 2024-02-29)
  { name: 'filter on id selects few segments', sql: 'SELECT id, value, flag FROM events WHERE id >= 1995 OR id < 3' },
  { name: 'time filter and null test on a pruned scan', sql: 'SELECT id, kind FROM events WHERE ts < TIMESTAMP \'2024-01-20 00:00:00\' AND value IS NULL' },
  { name: 'equality on the partitioning key', sql: 'SELECT order_id, amount FROM orders WHERE cust_id = 42' },
  { name: 'plus interval', sql: 'SELECT order_id, ordered_at + INTERVAL \'1\' DAY AS next_day, ordered_at + INTERVAL \'2\' HOUR AS later, ordered_at + INTERVAL \'1\' MONTH AS next_month, ordered_at - INTERVAL \'30\' MINUTE AS before FROM orders' },
  { name: 'date literal and interval in where', sql: 'SELECT c.cust_id, c.signup FROM customers c WHERE c.signup + INTERVAL \'365\' DAY < DATE \'2024-06-01\'' },
  { name: 'select date literal', sql: 'SELECT DATE \'2024-02-29\' AS d, TIMESTAMP \'2023-12-31 23:59:59.5\' AS t' },
  { name: 'functions of null are null', sql: 'SELECT cust_id, upper(name) AS u, length(name) AS n, abs(credit) AS a, EXTRACT(YEAR FROM signup) AS y FROM customers WHERE name IS NULL OR credit IS NULL OR signup IS NULL' },
  { name: 'int64 arithmetic past 2^53', sql: 'SELECT order_id, big, big + 1 AS plus1, big - 3 AS minus3, big * 2 AS twice, -big AS neg FROM orders WHERE big IS NOT NULL' },
  { name: 'int64 comparison and modulo past 2^53', sql: 'SELECT order_id, big % 1000 AS m, CAST(big AS VARCHAR) AS s FROM orders WHERE big > 9007199254740993 OR big < -9007199254741500' },
  { name: 'int64 division gives double', sql: 'SELECT order_id, big / 2 AS half FROM orders WHERE big IS NOT NULL' }
]

/** Aggregates and grouping. */
const AGGREGATES: readonly SqlQuery[] = [
  { name: 'count star and count column', sql: 'SELECT COUNT(*) AS n, COUNT(amount) AS na, COUNT(cust_id) AS nc, COUNT(big) AS nb FROM orders' },
  { name: 'whole-set aggregates of every type', sql: 'SELECT SUM(amount) AS s, AVG(amount) AS a, MIN(amount) AS mn, MAX(amount) AS mx, SUM(qty) AS sq, AVG(qty) AS aq, MIN(status) AS ms, MAX(ordered_at) AS mt, MIN(ordered_at) AS nt FROM orders' },
  { name: 'count distinct', sql: 'SELECT COUNT(DISTINCT status) AS s, COUNT(DISTINCT cust_id) AS c, COUNT(DISTINCT region) AS r FROM orders' },
  { name: 'aggregates over nulls only', sql: 'SELECT COUNT(*) AS n, COUNT(amount) AS na, SUM(amount) AS s, AVG(amount) AS a, MIN(amount) AS mn, MAX(amount) AS mx FROM orders WHERE amount IS NULL' },
  { name: 'aggregates over the empty table', sql: 'SELECT COUNT(*) AS n, COUNT(k) AS nk, SUM(k) AS s, AVG(k) AS a, MIN(s) AS ms, MAX(ts) AS mt, SUM(n) AS sn FROM empty_t' },
  { name: 'aggregates over an empty filter', sql: 'SELECT COUNT(*) AS n, SUM(qty) AS s, MAX(amount) AS m FROM orders WHERE amount > 1000000' },
  { name: 'group by over the empty table', sql: 'SELECT s, COUNT(*) AS n, SUM(k) AS sk FROM empty_t GROUP BY s' },
  { name: 'group by with null group', sql: 'SELECT region, COUNT(*) AS n, SUM(amount) AS s, AVG(amount) AS a FROM orders GROUP BY region' },
  { name: 'group by two keys', sql: 'SELECT region, product, COUNT(*) AS n, MIN(amount) AS mn, MAX(qty) AS mq FROM orders GROUP BY region, product' },
  { name: 'group by boolean and count distinct', sql: 'SELECT paid, COUNT(DISTINCT cust_id) AS customers, COUNT(*) AS n FROM orders GROUP BY paid' },
  { name: 'group by expression', sql: 'SELECT EXTRACT(YEAR FROM ordered_at) AS y, COUNT(*) AS n, SUM(qty) AS q FROM orders GROUP BY EXTRACT(YEAR FROM ordered_at)' },
  { name: 'group by date_trunc month', sql: 'SELECT date_trunc(\'month\', ts) AS month, COUNT(*) AS n, SUM(value) AS v FROM events GROUP BY date_trunc(\'month\', ts)' },
  { name: 'having', sql: 'SELECT cust_id, COUNT(*) AS n, SUM(amount) AS s FROM orders GROUP BY cust_id HAVING COUNT(*) > 18' },
  { name: 'having on an aggregate not selected', sql: 'SELECT region FROM orders GROUP BY region HAVING SUM(amount) > 100000 AND MIN(qty) < 0' },
  { name: 'aggregate expressions', sql: 'SELECT status, SUM(amount) / COUNT(*) AS mean, MAX(amount) - MIN(amount) AS spread, SUM(qty * 2) AS dq FROM orders GROUP BY status' },
  // DuckDB sums BIGINT into HUGEINT (no overflow); the oracle maps it to BIGINT, and these sums stay within int64
  { name: 'sum and extremes of int64 past 2^53', sql: 'SELECT region, SUM(big) AS s, MIN(big) AS mn, MAX(big) AS mx, COUNT(big) AS n FROM orders GROUP BY region' },
  { name: 'grouped aggregate over nulls only', sql: 'SELECT product, SUM(amount) AS s, MAX(amount) AS m, COUNT(amount) AS n FROM orders WHERE amount IS NULL GROUP BY product' },
  { name: 'count distinct grouped', sql: 'SELECT kind, COUNT(DISTINCT cust_id) AS c, COUNT(cust_id) AS n, AVG(value) AS a FROM events GROUP BY kind' },
  { name: 'aggregate of case', sql: 'SELECT region, SUM(CASE WHEN paid THEN amount ELSE 0 END) AS paid_total, COUNT(CASE WHEN status IS NULL THEN 1 END) AS no_status FROM orders GROUP BY region' },
  { name: 'distinct', sql: 'SELECT DISTINCT status FROM orders' },
  { name: 'distinct two columns with nulls', sql: 'SELECT DISTINCT region, product FROM orders' },
  { name: 'count over a distinct subquery', sql: 'SELECT COUNT(*) AS n FROM (SELECT DISTINCT cust_id, paid FROM orders) t' }
]

/** Every query of the comparison. */
export const QUERIES: readonly SqlQuery[] = [...BASICS, ...FUNCTIONS, ...AGGREGATES, ...QUERIES_MORE]

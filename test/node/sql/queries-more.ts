/**
 * The second half of the comparison queries (queries.ts holds the first and the type):
 * ORDER BY and LIMIT, joins, subqueries, set operations and CTEs.
 */
import type { SqlQuery } from './queries.ts'

/** ORDER BY (directions, NULL placement, ties), LIMIT and OFFSET. */
const ORDERING: readonly SqlQuery[] = [
  // the sort key has many ties (status), so the rows within a status may come in any order
  { name: 'order by with ties', sql: 'SELECT status, order_id, amount FROM orders ORDER BY status', ordered: true, orderKeys: [0] },
  { name: 'order by desc nulls last by default', sql: 'SELECT amount, order_id FROM orders ORDER BY amount DESC', ordered: true, orderKeys: [0] },
  { name: 'order by asc nulls first', sql: 'SELECT amount, order_id FROM orders ORDER BY amount ASC NULLS FIRST', ordered: true, orderKeys: [0] },
  { name: 'order by desc nulls first', sql: 'SELECT cust_id, name FROM customers ORDER BY name DESC NULLS FIRST', ordered: true, orderKeys: [1] },
  { name: 'order by two keys mixed directions', sql: 'SELECT region, amount, order_id FROM orders ORDER BY region DESC, amount ASC', ordered: true, orderKeys: [0, 1] },
  { name: 'order by alias of an aggregate', sql: 'SELECT cust_id, SUM(amount) AS total FROM orders GROUP BY cust_id ORDER BY total DESC NULLS LAST, cust_id', ordered: true, orderKeys: [1, 0] },
  { name: 'order by timestamp', sql: 'SELECT ordered_at, order_id FROM orders WHERE region = \'west\' ORDER BY ordered_at', ordered: true, orderKeys: [0] },
  { name: 'order by strings of mixed case', sql: 'SELECT city, cust_id FROM customers ORDER BY city, cust_id', ordered: true },
  { name: 'order by boolean', sql: 'SELECT paid, order_id FROM orders ORDER BY paid DESC, order_id', ordered: true, orderKeys: [0, 1] },
  { name: 'order by a column not selected with limit', sql: 'SELECT order_id, qty FROM orders WHERE amount IS NOT NULL ORDER BY amount DESC, order_id, qty LIMIT 15', ordered: true },
  { name: 'top n', sql: 'SELECT order_id, amount FROM orders WHERE amount IS NOT NULL ORDER BY amount DESC, order_id DESC LIMIT 10', ordered: true },
  { name: 'limit offset', sql: 'SELECT id, ts FROM events ORDER BY id LIMIT 7 OFFSET 993', ordered: true },
  { name: 'offset past the end', sql: 'SELECT id FROM events ORDER BY id LIMIT 10 OFFSET 5000', ordered: true },
  { name: 'limit without order by keeps that many rows', sql: 'SELECT COUNT(*) AS n FROM (SELECT * FROM orders LIMIT 7) t' },
  { name: 'limit zero', sql: 'SELECT order_id FROM orders LIMIT 0' },
  { name: 'order by int64 past 2^53', sql: 'SELECT big, order_id FROM orders WHERE big IS NOT NULL ORDER BY big', ordered: true, orderKeys: [0] }
]

/** Joins: inner, outer, NULL keys, duplicate keys, multi-column keys, residual conditions. */
const JOINS: readonly SqlQuery[] = [
  { name: 'inner join with duplicate keys', sql: 'SELECT o.order_id, o.cust_id, c.name, o.amount FROM orders o JOIN customers c ON o.cust_id = c.cust_id' },
  { name: 'left join keeps orders without customer', sql: 'SELECT o.order_id, o.cust_id, c.name FROM orders o LEFT JOIN customers c ON o.cust_id = c.cust_id' },
  { name: 'right join keeps customers without orders', sql: 'SELECT c.cust_id AS cid, o.order_id FROM orders o RIGHT JOIN customers c ON o.cust_id = c.cust_id' },
  { name: 'full join with null keys on both sides', sql: 'SELECT o.order_id, o.cust_id AS ocust, c.cust_id AS ccust, c.city FROM orders o FULL OUTER JOIN customers c ON o.cust_id = c.cust_id' },
  { name: 'join on two columns', sql: 'SELECT o.order_id, o.region, o.product, p.price FROM orders o JOIN prices p ON o.region = p.region AND o.product = p.product' },
  { name: 'left join on two columns', sql: 'SELECT o.order_id, p.price, p.valid_from FROM orders o LEFT JOIN prices p ON o.product = p.product AND o.region = p.region' },
  { name: 'join with a non-equi residual', sql: 'SELECT o.order_id, c.cust_id AS cid, o.ordered_at, c.signup FROM orders o JOIN customers c ON o.cust_id = c.cust_id AND o.ordered_at >= c.signup' },
  { name: 'left join with a residual keeps unmatched rows', sql: 'SELECT o.order_id, c.name, c.vip FROM orders o LEFT JOIN customers c ON o.cust_id = c.cust_id AND c.vip' },
  { name: 'full join with a residual', sql: 'SELECT o.order_id, c.cust_id AS cid FROM orders o FULL JOIN customers c ON o.cust_id = c.cust_id AND o.amount > 500' },
  { name: 'join then filter on the null side', sql: 'SELECT o.order_id, o.cust_id FROM orders o LEFT JOIN customers c ON o.cust_id = c.cust_id WHERE c.cust_id IS NULL' },
  { name: 'join in where clause', sql: 'SELECT o.order_id, p.price FROM orders o, prices p WHERE o.region = p.region AND o.product = p.product AND p.price > 5' },
  { name: 'three-way join with aggregate', sql: 'SELECT c.city, COUNT(*) AS n, SUM(o.amount * p.price) AS value FROM orders o JOIN customers c ON o.cust_id = c.cust_id JOIN prices p ON o.region = p.region AND o.product = p.product GROUP BY c.city' },
  { name: 'join grouped by a key of each side', sql: 'SELECT c.vip, o.status, COUNT(*) AS n, AVG(o.amount) AS a FROM orders o JOIN customers c ON o.cust_id = c.cust_id GROUP BY c.vip, o.status' },
  // payments is hash-partitioned on cust_id in 2 partitions: at parallelism 2 a join of two scans of it on cust_id runs co-located (no shuffle)
  { name: 'full join of datasets partitioned alike', sql: 'SELECT a.cust_id AS ac, b.cust_id AS bc, a.amount AS aa, b.method FROM payments a FULL JOIN payments b ON a.cust_id = b.cust_id' },
  { name: 'left join of datasets partitioned alike, filtered', sql: 'SELECT a.cust_id AS ac, a.method, b.amount FROM payments a LEFT JOIN payments b ON a.cust_id = b.cust_id WHERE a.amount > 300 AND (b.method IS NULL OR b.method = a.method)' },
  { name: 'full join of datasets partitioned alike with a residual', sql: 'SELECT a.cust_id AS ac, b.cust_id AS bc, a.amount, b.method FROM payments a FULL JOIN payments b ON a.cust_id = b.cust_id AND a.amount < b.amount' },
  { name: 'full join of datasets partitioned differently', sql: 'SELECT o.region, COUNT(*) AS n, COUNT(p.cust_id) AS matched, COUNT(o.cust_id) AS with_order, SUM(p.amount) AS s FROM orders o FULL JOIN payments p ON o.cust_id = p.cust_id GROUP BY o.region' },
  { name: 'right join to the hash-partitioned side', sql: 'SELECT p.cust_id, p.method, c.name FROM customers c RIGHT JOIN payments p ON c.cust_id = p.cust_id WHERE p.amount > 350' },
  { name: 'inner join with the empty table', sql: 'SELECT o.order_id, e.s FROM orders o JOIN empty_t e ON o.cust_id = e.k' },
  { name: 'left join with the empty table', sql: 'SELECT o.order_id, e.s, e.n FROM orders o LEFT JOIN empty_t e ON o.cust_id = e.k WHERE o.amount > 1200' },
  { name: 'right join from the empty table', sql: 'SELECT c.cust_id AS cid, e.k FROM empty_t e RIGHT JOIN customers c ON e.k = c.cust_id' },
  { name: 'join on an expression key', sql: 'SELECT a.id AS aid, b.id AS bid, b.value - a.value AS delta FROM events a JOIN events b ON b.id = a.id + 1 WHERE a.kind = \'Buy\'' },
  { name: 'join events to customers with timestamps', sql: 'SELECT e.id, c.name, e.ts FROM events e JOIN customers c ON e.cust_id = c.cust_id WHERE e.ts < c.signup' }
]

/** Subqueries, set operations and CTEs. */
const COMPOSITION: readonly SqlQuery[] = [
  { name: 'subquery in from', sql: 'SELECT t.region, t.total FROM (SELECT region, SUM(amount) AS total FROM orders GROUP BY region) t WHERE t.total > 0' },
  { name: 'nested subqueries in from', sql: 'SELECT s.y, MAX(s.n) AS most FROM (SELECT EXTRACT(YEAR FROM ordered_at) AS y, cust_id, COUNT(*) AS n FROM orders GROUP BY EXTRACT(YEAR FROM ordered_at), cust_id) s GROUP BY s.y' },
  { name: 'in subquery', sql: 'SELECT order_id, cust_id FROM orders WHERE cust_id IN (SELECT cust_id FROM customers WHERE vip)' },
  // customers.cust_id holds NULLs, so x NOT IN (…) is never TRUE: no rows
  { name: 'not in subquery with nulls', sql: 'SELECT order_id FROM orders WHERE cust_id NOT IN (SELECT cust_id FROM customers)' },
  { name: 'not in subquery without nulls', sql: 'SELECT order_id, cust_id FROM orders WHERE cust_id NOT IN (SELECT cust_id FROM customers WHERE cust_id IS NOT NULL)' },
  { name: 'in subquery on strings', sql: 'SELECT cust_id, city FROM customers WHERE lower(city) IN (SELECT lower(c2.city) FROM customers c2 WHERE c2.vip) OR name IN (SELECT status FROM orders)' },
  { name: 'scalar subquery', sql: 'SELECT order_id, amount FROM orders WHERE amount > (SELECT AVG(amount) * 2 FROM orders)' },
  { name: 'uncorrelated exists', sql: 'SELECT cust_id FROM customers WHERE EXISTS (SELECT 1 FROM empty_t) OR cust_id < 3' },
  { name: 'not exists over the empty table', sql: 'SELECT cust_id, city FROM customers WHERE cust_id < 10 AND NOT EXISTS (SELECT 1 FROM empty_t)' },
  { name: 'correlated exists', sql: 'SELECT c.cust_id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.cust_id AND o.amount > 1400)' },
  { name: 'union removes duplicates and keeps one null', sql: 'SELECT region FROM orders UNION SELECT region FROM prices' },
  { name: 'union all keeps duplicates', sql: 'SELECT product AS p FROM prices UNION ALL SELECT kind AS p FROM events WHERE id < 50' },
  { name: 'union of integer and double', sql: 'SELECT 1 AS x UNION ALL SELECT amount AS x FROM orders WHERE order_id < 5' },
  { name: 'union under order by', sql: 'SELECT cust_id AS k FROM customers WHERE cust_id < 5 UNION SELECT cust_id AS k FROM orders WHERE cust_id > 205 ORDER BY k', ordered: true },
  { name: 'cte', sql: 'WITH totals AS (SELECT cust_id, SUM(amount) AS total FROM orders GROUP BY cust_id) SELECT c.name, t.total FROM totals t JOIN customers c ON t.cust_id = c.cust_id WHERE t.total > 5000' },
  { name: 'cte used twice', sql: 'WITH m AS (SELECT EXTRACT(MONTH FROM ts) AS mo, SUM(value) AS v FROM events GROUP BY EXTRACT(MONTH FROM ts)) SELECT a.mo, a.v, b.v AS prev FROM m a LEFT JOIN m b ON b.mo = a.mo - 1' },
  { name: 'chained ctes', sql: 'WITH big_orders AS (SELECT * FROM orders WHERE amount > 800), per_region AS (SELECT region, COUNT(*) AS n FROM big_orders GROUP BY region) SELECT region, n FROM per_region WHERE n > 10' },
  { name: 'cte over the empty table', sql: 'WITH e AS (SELECT k, COUNT(*) AS n FROM empty_t GROUP BY k) SELECT COUNT(*) AS groups, SUM(n) AS rows_in FROM e' }
]

/** Corners where engines tend to differ: typed join keys, -0, DISTINCT aggregates, empty scalar subqueries. */
const CORNERS: readonly SqlQuery[] = [
  // BIGINT = DOUBLE compares as DOUBLE (5 = 5.0): a hash join on typed keys must agree
  { name: 'join a bigint key to a double key', sql: 'SELECT o.order_id, o.qty, e.id FROM orders o JOIN events e ON o.qty = e.cust_id WHERE e.id < 40' },
  { name: 'self join on the partitioning key', sql: 'SELECT o1.cust_id, COUNT(*) AS pairs, SUM(o2.amount - o1.amount) AS diff FROM orders o1 JOIN orders o2 ON o1.cust_id = o2.cust_id AND o1.order_id < o2.order_id GROUP BY o1.cust_id' },
  // -amount is -0 where amount is 0: one group, as 0 = -0
  { name: 'group by a negated double with zero', sql: 'SELECT -amount AS neg, COUNT(*) AS n FROM orders WHERE amount BETWEEN -1 AND 1 GROUP BY -amount' },
  { name: 'sum and count of distinct values', sql: 'SELECT region, SUM(DISTINCT qty) AS sq, COUNT(DISTINCT big) AS nb, AVG(DISTINCT amount) AS aa FROM orders GROUP BY region' },
  { name: 'avg of int64 past 2^53', sql: 'SELECT product, AVG(big) AS a FROM orders GROUP BY product' },
  { name: 'having without group by', sql: 'SELECT COUNT(*) AS n, SUM(amount) AS s FROM orders HAVING COUNT(*) > 0' },
  { name: 'scalar subquery over the empty table is null', sql: 'SELECT order_id FROM orders WHERE amount > (SELECT MAX(k) FROM empty_t)' },
  { name: 'between dates on a timestamp', sql: 'SELECT order_id, ordered_at FROM orders WHERE ordered_at BETWEEN DATE \'2023-01-01\' AND DATE \'2023-01-31\'' },
  { name: 'cast strings to timestamp and double', sql: 'SELECT CAST(\'2024-03-01 10:00:00\' AS TIMESTAMP) AS t, CAST(\'2.75\' AS DOUBLE) AS d, CAST(\'-12\' AS BIGINT) AS b' },
  { name: 'case in where and nested case', sql: 'SELECT order_id, CASE WHEN paid THEN CASE WHEN amount > 0 THEN \'paid\' ELSE \'refund\' END ELSE \'open\' END AS state FROM orders WHERE CASE WHEN region IS NULL THEN qty > 40 ELSE region = \'west\' END' },
  { name: 'string equality keeps spaces and case', sql: 'SELECT cust_id, name FROM customers WHERE name = \' padded \' OR name = \'upper\' OR name = \'UPPER\'' },
  { name: 'order by an expression not selected', sql: 'SELECT order_id, amount FROM orders WHERE amount IS NOT NULL ORDER BY abs(amount) DESC, order_id, amount LIMIT 20', ordered: true },
  { name: 'order by two keys with nulls first on the second', sql: 'SELECT product, qty, order_id FROM orders ORDER BY product, qty NULLS FIRST', ordered: true, orderKeys: [0, 1] },
  { name: 'distinct with order by', sql: 'SELECT DISTINCT region, product FROM orders ORDER BY region DESC, product', ordered: true },
  { name: 'top n in a subquery then aggregated', sql: 'SELECT COUNT(*) AS n, SUM(t.amount) AS s FROM (SELECT amount FROM orders WHERE amount IS NOT NULL ORDER BY amount DESC, order_id LIMIT 25) t' },
  { name: 'union all under order by and limit', sql: 'SELECT id AS k, value AS v FROM events WHERE id < 5 UNION ALL SELECT order_id AS k, amount AS v FROM orders WHERE order_id < 5 ORDER BY k, v LIMIT 6', ordered: true },
  { name: 'string concatenation with a cast', sql: 'SELECT order_id, \'id-\' || CAST(order_id AS VARCHAR) || \'/\' || COALESCE(status, \'?\') AS label FROM orders WHERE order_id < 30' }
]

/** The second half of QUERIES. */
export const QUERIES_MORE: readonly SqlQuery[] = [...ORDERING, ...JOINS, ...COMPOSITION, ...CORNERS]

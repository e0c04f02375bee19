/**
 * The batch benchmark's queries three ways: through the DataSet API (`dataSetQuery`,
 * reading the datasets `lineitem`, `orders`, `customer` with the projection and predicate a
 * user would push into the scan), as plain-JS loops over decoded rows (`plainQ1/Q6/Q3`),
 * and as DuckDB SQL (`SQL`). `sameResult` compares two systems' answers within float
 * tolerance and throws naming the first difference.
 *
 * @example
 * const out = dataSetQuery(env, 'q1'); await env.execute('q1'); sameResult('q1', plainQ1(rows), normalise('q1', out.values))
 */
import { avg, count, sum, type DataSet, type StreamEnvironment } from 'meshflow'
import type { Predicate } from '../../../node/api/dataset-schema.ts'
import { Q1_SHIPDATE_MAX, Q3, Q6, type Customer, type LineItem, type Order } from './tpch-data.ts'

export type QueryName = 'q1' | 'q6' | 'q3'
export const QUERIES: readonly QueryName[] = ['q1', 'q6', 'q3']

export interface Q1Row {
  l_returnflag: string, l_linestatus: string, sum_qty: number, sum_base_price: number, sum_disc_price: number,
  sum_charge: number, avg_qty: number, avg_price: number, avg_disc: number, count_order: number
}
export interface Q6Row { revenue: number }
export interface Q3Row { l_orderkey: number, revenue: number, o_orderdate: number, o_shippriority: number }
export type QueryResult = Q1Row[] | Q6Row[] | Q3Row[]

/** The scans each query pushes down (also what the plain-JS-from-segments baseline decodes). */
export const SCANS = {
  q1: {
    lineitem: {
      columns: ['l_returnflag', 'l_linestatus', 'l_quantity', 'l_extendedprice', 'l_discount', 'l_tax'],
      predicate: { op: '<=', column: 'l_shipdate', value: Q1_SHIPDATE_MAX } satisfies Predicate
    }
  },
  q6: {
    lineitem: {
      columns: ['l_extendedprice', 'l_discount'],
      predicate: {
        op: 'and',
        args: [
          { op: '>=', column: 'l_shipdate', value: Q6.from }, { op: '<', column: 'l_shipdate', value: Q6.to },
          { op: 'between', column: 'l_discount', low: Q6.discountLow, high: Q6.discountHigh },
          { op: '<', column: 'l_quantity', value: Q6.quantityBelow }
        ]
      } satisfies Predicate
    }
  },
  q3: {
    customer: { columns: ['c_custkey'], predicate: { op: '=', column: 'c_mktsegment', value: Q3.segment } satisfies Predicate },
    orders: { columns: ['o_orderkey', 'o_custkey', 'o_orderdate', 'o_shippriority'], predicate: { op: '<', column: 'o_orderdate', value: Q3.date } satisfies Predicate },
    lineitem: { columns: ['l_orderkey', 'l_extendedprice', 'l_discount'], predicate: { op: '>', column: 'l_shipdate', value: Q3.date } satisfies Predicate }
  }
} as const

/** Builds query `q` on `env`; its rows are in the returned DataSet. */
export function dataSetQuery (env: StreamEnvironment, q: QueryName): DataSet<any> {
  switch (q) {
    case 'q1':
      return env.readDataset<LineItem>('lineitem', SCANS.q1.lineitem)
        .groupBy(['l_returnflag', 'l_linestatus'])
        .aggregate({
          sum_qty: sum('l_quantity'),
          sum_base_price: sum('l_extendedprice'),
          sum_disc_price: sum(r => r.l_extendedprice * (1 - r.l_discount)),
          sum_charge: sum(r => r.l_extendedprice * (1 - r.l_discount) * (1 + r.l_tax)),
          avg_qty: avg('l_quantity'),
          avg_price: avg('l_extendedprice'),
          avg_disc: avg('l_discount'),
          count_order: count()
        })
        .orderBy(['l_returnflag', 'l_linestatus'])
    case 'q6':
      return env.readDataset<LineItem>('lineitem', SCANS.q6.lineitem)
        .aggregate({ revenue: sum(r => r.l_extendedprice * r.l_discount) })
    case 'q3': {
      const customers = env.readDataset<Customer>('customer', SCANS.q3.customer)
      const orders = env.readDataset<Order>('orders', SCANS.q3.orders)
      const lineitems = env.readDataset<LineItem>('lineitem', SCANS.q3.lineitem)
      // strategies named, not chosen from the catalog's row counts: a peer building the job's
      // graph without those counts would choose otherwise (and refuse the deployment)
      return customers.join(orders, { strategy: 'repartition-hash-first' }).where('c_custkey').equalTo('o_custkey')
        .with((_c, o) => o)
        .join(lineitems, { strategy: 'repartition-hash-first' }).where('o_orderkey').equalTo('l_orderkey')
        .with((o, l) => ({ l_orderkey: l.l_orderkey, o_orderdate: o.o_orderdate, o_shippriority: o.o_shippriority, rev: l.l_extendedprice * (1 - l.l_discount) }))
        .groupBy(['l_orderkey', 'o_orderdate', 'o_shippriority'])
        .aggregate({ revenue: sum('rev') })
        .orderBy(r => [-(r.revenue as number), r.o_orderdate])
        .first(10)
    }
  }
}

/** Q1 over decoded line items (the plain-JS baseline; also run per decoded segment). */
export class PlainQ1 {
  readonly #groups = new Map<string, { flag: string, status: string, qty: number, base: number, disc: number, charge: number, discount: number, n: number }>()
  add (rows: readonly LineItem[]): void {
    const groups = this.#groups
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!
      if (r.l_shipdate > Q1_SHIPDATE_MAX) continue
      const key = r.l_returnflag + r.l_linestatus
      let g = groups.get(key)
      if (g === undefined) groups.set(key, g = { flag: r.l_returnflag, status: r.l_linestatus, qty: 0, base: 0, disc: 0, charge: 0, discount: 0, n: 0 })
      const discPrice = r.l_extendedprice * (1 - r.l_discount)
      g.qty += r.l_quantity
      g.base += r.l_extendedprice
      g.disc += discPrice
      g.charge += discPrice * (1 + r.l_tax)
      g.discount += r.l_discount
      g.n++
    }
  }

  result (): Q1Row[] {
    return [...this.#groups.values()].map(g => ({
      l_returnflag: g.flag, l_linestatus: g.status, sum_qty: g.qty, sum_base_price: g.base, sum_disc_price: g.disc, sum_charge: g.charge,
      avg_qty: g.qty / g.n, avg_price: g.base / g.n, avg_disc: g.discount / g.n, count_order: g.n
    })).sort((a, b) => (a.l_returnflag + a.l_linestatus) < (b.l_returnflag + b.l_linestatus) ? -1 : 1)
  }
}

/** Q6 over decoded line items. */
export class PlainQ6 {
  #revenue = 0
  add (rows: readonly LineItem[]): void {
    let revenue = 0
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!
      if (r.l_shipdate >= Q6.from && r.l_shipdate < Q6.to && r.l_discount >= Q6.discountLow && r.l_discount <= Q6.discountHigh && r.l_quantity < Q6.quantityBelow) {
        revenue += r.l_extendedprice * r.l_discount
      }
    }
    this.#revenue += revenue
  }

  result (): Q6Row[] { return [{ revenue: this.#revenue }] }
}

/** Q3 over decoded rows: a hash join of BUILDING customers' early orders, probed by late line items. */
export class PlainQ3 {
  readonly #customers = new Set<number>()
  readonly #orders = new Map<number, Order>()
  readonly #revenue = new Map<number, number>()
  addCustomers (rows: readonly Customer[]): void {
    for (let i = 0; i < rows.length; i++) if (rows[i]!.c_mktsegment === Q3.segment) this.#customers.add(rows[i]!.c_custkey)
  }

  /** After all customers. */
  addOrders (rows: readonly Order[]): void {
    for (let i = 0; i < rows.length; i++) {
      const o = rows[i]!
      if (o.o_orderdate < Q3.date && this.#customers.has(o.o_custkey)) this.#orders.set(o.o_orderkey, o)
    }
  }

  /** After all orders. */
  addLineitems (rows: readonly LineItem[]): void {
    const orders = this.#orders
    const revenue = this.#revenue
    for (let i = 0; i < rows.length; i++) {
      const l = rows[i]!
      if (l.l_shipdate <= Q3.date || !orders.has(l.l_orderkey)) continue
      revenue.set(l.l_orderkey, (revenue.get(l.l_orderkey) ?? 0) + l.l_extendedprice * (1 - l.l_discount))
    }
  }

  result (): Q3Row[] {
    const out: Q3Row[] = []
    for (const [key, revenue] of this.#revenue) {
      const o = this.#orders.get(key)!
      out.push({ l_orderkey: key, revenue, o_orderdate: o.o_orderdate, o_shippriority: o.o_shippriority })
    }
    return out.sort((a, b) => b.revenue - a.revenue || a.o_orderdate - b.o_orderdate).slice(0, 10)
  }
}

/** The queries in DuckDB's SQL over tables of the same names and columns (dates as epoch ms). */
export const SQL: Record<QueryName, string> = {
  q1: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
         sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
         avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
       FROM lineitem WHERE l_shipdate <= ${Q1_SHIPDATE_MAX}
       GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
  q6: `SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
       WHERE l_shipdate >= ${Q6.from} AND l_shipdate < ${Q6.to} AND l_discount BETWEEN ${Q6.discountLow} AND ${Q6.discountHigh} AND l_quantity < ${Q6.quantityBelow}`,
  q3: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
       FROM customer, orders, lineitem
       WHERE c_mktsegment = '${Q3.segment}' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
         AND o_orderdate < ${Q3.date} AND l_shipdate > ${Q3.date}
       GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10`
}

/** A system's rows in the shape of the plain-JS result (numbers, the fields of the query). */
export function normalise (q: QueryName, rows: readonly Record<string, unknown>[]): QueryResult {
  const num = (x: unknown): number => typeof x === 'bigint' ? Number(x) : x as number
  switch (q) {
    case 'q1': return rows.map(r => ({
      l_returnflag: String(r.l_returnflag), l_linestatus: String(r.l_linestatus), sum_qty: num(r.sum_qty), sum_base_price: num(r.sum_base_price),
      sum_disc_price: num(r.sum_disc_price), sum_charge: num(r.sum_charge), avg_qty: num(r.avg_qty), avg_price: num(r.avg_price),
      avg_disc: num(r.avg_disc), count_order: num(r.count_order)
    }))
    case 'q6': return rows.map(r => ({ revenue: num(r.revenue) }))
    case 'q3': return rows.map(r => ({ l_orderkey: num(r.l_orderkey), revenue: num(r.revenue), o_orderdate: num(r.o_orderdate), o_shippriority: num(r.o_shippriority) }))
  }
}

/** Throws naming the first field where `got` (of `system`) differs from `want` beyond float tolerance. */
export function sameResult (q: QueryName, system: string, want: QueryResult, got: QueryResult): void {
  if (want.length !== got.length) throw new Error(`${q}: ${system} returned ${got.length} rows, plain JS ${want.length}: ${JSON.stringify(got).slice(0, 400)}`)
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as unknown as Record<string, unknown>
    const g = got[i] as unknown as Record<string, unknown>
    for (const k of Object.keys(w)) {
      const a = w[k]
      const b = g[k]
      const ok = typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) : a === b
      if (!ok) throw new Error(`${q}: ${system} differs from plain JS in row ${i}, ${k}: ${String(b)} != ${String(a)}`)
    }
  }
}

/**
 * TPC-H-like data for the batch benchmark: `lineitem`, `orders` and `customer` with the
 * columns TPC-H Q1, Q3 and Q6 use, the value ranges of the TPC-H specification (§4.2.3)
 * and its proportions (about 4 line items per order, 10 orders per customer), generated
 * deterministically from a seed so every system in a run reads the same rows. Dates are
 * epoch milliseconds (UTC midnight); the queries' constants are below.
 *
 * @example
 * for (const batch of lineitems(6_000_000, 65_536)) load(batch)
 */

export interface LineItem {
  l_orderkey: number
  l_quantity: number
  l_extendedprice: number
  l_discount: number
  l_tax: number
  l_returnflag: string
  l_linestatus: string
  l_shipdate: number
}

export interface Order {
  o_orderkey: number
  o_custkey: number
  o_orderdate: number
  o_shippriority: number
}

export interface Customer {
  c_custkey: number
  c_mktsegment: string
}

const DAY = 86_400_000
/** 1992-01-01: the first order date of TPC-H. */
export const START_DATE = Date.UTC(1992, 0, 1)
/** 1998-08-02: the last order date (STARTDATE + 2405 days − 151). */
const ORDER_DAYS = 2405 - 151
/** 1995-06-17: line items shipped after it have status 'F'… in TPC-H it is the CURRENTDATE. */
const CURRENT_DATE = Date.UTC(1995, 5, 17)
export const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'] as const

/** Q1: `l_shipdate <= date '1998-12-01' - interval '90' day`. */
export const Q1_SHIPDATE_MAX = Date.UTC(1998, 11, 1) - 90 * DAY
/** Q6: shipped in 1994, discount between 0.05 and 0.07, quantity < 24. */
export const Q6 = { from: Date.UTC(1994, 0, 1), to: Date.UTC(1995, 0, 1), discountLow: 0.05, discountHigh: 0.07, quantityBelow: 24 }
/** Q3: segment BUILDING, ordered before and shipped after 1995-03-15. */
export const Q3 = { segment: 'BUILDING', date: Date.UTC(1995, 2, 15) }

/** A small fast deterministic generator (xorshift32). */
class Random {
  #s: number
  constructor (seed: number) { this.#s = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0 }
  /** An integer in [lo, hi]. */
  int (lo: number, hi: number): number {
    let x = this.#s
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    this.#s = x
    return lo + (x >>> 0) % (hi - lo + 1)
  }
}

/** Customers of a scale with `orders` orders. */
export function * customers (orders: number, batch: number, seed = 3): Generator<Customer[]> {
  const n = Math.max(1, Math.floor(orders / 10))
  const r = new Random(seed)
  for (let start = 1; start <= n; start += batch) {
    const out: Customer[] = []
    for (let k = start; k < start + batch && k <= n; k++) out.push({ c_custkey: k, c_mktsegment: SEGMENTS[r.int(0, 4)]! })
    yield out
  }
}

/** The date an order was placed (the same for orders() and lineitems()). */
function orderDate (orderkey: number): number {
  // a hash of the key, so line items find their order's date without keeping the orders
  let h = Math.imul(orderkey ^ 0x5bd1e995, 0x27d4eb2d)
  h ^= h >>> 15
  return START_DATE + ((h >>> 0) % ORDER_DAYS) * DAY
}

/** `n` orders, keys 1..n. */
export function * orders (n: number, batch: number, seed = 2): Generator<Order[]> {
  const r = new Random(seed)
  const custs = Math.max(1, Math.floor(n / 10))
  for (let start = 1; start <= n; start += batch) {
    const out: Order[] = []
    for (let k = start; k < start + batch && k <= n; k++) out.push({ o_orderkey: k, o_custkey: r.int(1, custs), o_orderdate: orderDate(k), o_shippriority: 0 })
    yield out
  }
}

/** About `n` line items (1 to 7 per order, 4 on average) over orders 1..ceil(n/4). */
export function * lineitems (n: number, batch: number, seed = 1): Generator<LineItem[]> {
  const r = new Random(seed)
  let out: LineItem[] = []
  let made = 0
  for (let order = 1; made < n; order++) {
    const od = orderDate(order)
    const lines = r.int(1, 7)
    for (let l = 0; l < lines && made < n; l++, made++) {
      const quantity = r.int(1, 50)
      const part = r.int(1, 200_000)
      const price = (90_000 + ((part / 10) % 20_001) + 100 * (part % 1_000)) / 100
      const shipdate = od + r.int(1, 121) * DAY
      const receipt = shipdate + r.int(1, 30) * DAY
      out.push({
        l_orderkey: order,
        l_quantity: quantity,
        l_extendedprice: Math.round(quantity * price * 100) / 100,
        l_discount: r.int(0, 10) / 100,
        l_tax: r.int(0, 8) / 100,
        l_returnflag: receipt <= CURRENT_DATE ? (r.int(0, 1) === 0 ? 'R' : 'A') : 'N',
        l_linestatus: shipdate > CURRENT_DATE ? 'O' : 'F',
        l_shipdate: shipdate
      })
      if (out.length === batch) {
        yield out
        out = []
      }
    }
  }
  if (out.length > 0) yield out
}

/** The number of orders that about `lineitems` line items span. */
export function ordersFor (lineitemCount: number): number {
  return Math.ceil(lineitemCount / 4)
}

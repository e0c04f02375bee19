/**
 * TPC-H-like data for the batch benchmark: `lineitem`, `orders` and `customer` with the
 * columns TPC-H Q1, Q3 and Q6 use, the value ranges of the TPC-H specification (§4.2.3)
 * and its proportions (4 line items per order, 10 orders per customer). Every row is a
 * pure function of its index (a hash of it, no running state), so a `datagen` source can
 * split the generation across subtasks and every system in a run reads the same rows.
 * Dates are epoch milliseconds (UTC midnight); the queries' constants are below.
 *
 * @example
 * env.fromSource(datagen({ count: n, generate: lineitemAt }), WatermarkStrategy.noWatermarks(), 'lineitem')
 */
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'

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

export const LINEITEM_SCHEMA: DatasetSchema = {
  columns: [
    { name: 'l_orderkey', type: 'number' }, { name: 'l_quantity', type: 'number' }, { name: 'l_extendedprice', type: 'number' },
    { name: 'l_discount', type: 'number' }, { name: 'l_tax', type: 'number' }, { name: 'l_returnflag', type: 'string' },
    { name: 'l_linestatus', type: 'string' }, { name: 'l_shipdate', type: 'timestamp' }
  ]
}
export const ORDERS_SCHEMA: DatasetSchema = {
  columns: [{ name: 'o_orderkey', type: 'number' }, { name: 'o_custkey', type: 'number' }, { name: 'o_orderdate', type: 'timestamp' }, { name: 'o_shippriority', type: 'number' }]
}
export const CUSTOMER_SCHEMA: DatasetSchema = {
  columns: [{ name: 'c_custkey', type: 'number' }, { name: 'c_mktsegment', type: 'string' }]
}

/** One day in ms. */
export const DAY = 86_400_000
/** 1992-01-01: the first order date of TPC-H. */
export const START_DATE = Date.UTC(1992, 0, 1)
/** Order dates span STARTDATE .. ENDDATE − 151 days (1998-08-02). */
const ORDER_DAYS = 2405 - 151
/** 1995-06-17, TPC-H's CURRENTDATE: line items received by then are returned (R/A) or not (N); shipped after it are open (O). */
const CURRENT_DATE = Date.UTC(1995, 5, 17)
export const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'] as const
/** Line items per order (TPC-H: 1 to 7, 4 on average; fixed here so row i's order is i / 4). */
export const LINES_PER_ORDER = 4
/** Orders per customer. */
export const ORDERS_PER_CUSTOMER = 10

/** Q1: `l_shipdate <= date '1998-12-01' - interval '90' day`. */
export const Q1_SHIPDATE_MAX = Date.UTC(1998, 11, 1) - 90 * DAY
/** Q6: shipped in 1994, discount between 0.05 and 0.07, quantity < 24. */
export const Q6 = { from: Date.UTC(1994, 0, 1), to: Date.UTC(1995, 0, 1), discountLow: 0.05, discountHigh: 0.07, quantityBelow: 24 }
/** Q3: segment BUILDING, ordered before and shipped after 1995-03-15. */
export const Q3 = { segment: 'BUILDING', date: Date.UTC(1995, 2, 15) }

/** A 32-bit hash of (`i`, `salt`): murmur3's finaliser over both. */
function hash (i: number, salt: number): number {
  let h = Math.imul((i ^ Math.imul(salt, 0x9e3779b1)) | 0, 0xcc9e2d51)
  h ^= Math.floor(i / 4294967296)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** An integer in [lo, hi] drawn by (`i`, `salt`) (tables that extend these draw with salts above 10). */
export function draw (i: number, salt: number, lo: number, hi: number): number {
  return lo + hash(i, salt) % (hi - lo + 1)
}

/** The date order `orderkey` was placed (shared by orderAt and lineitemAt). */
export function orderDate (orderkey: number): number {
  return START_DATE + draw(orderkey, 1, 0, ORDER_DAYS - 1) * DAY
}

/** The number of orders `lineitems` line items span (keys 1..n). */
export function ordersFor (lineitems: number): number {
  return Math.ceil(lineitems / LINES_PER_ORDER)
}

/** The number of customers of `orders` orders (keys 1..n). */
export function customersFor (orders: number): number {
  return Math.max(1, Math.ceil(orders / ORDERS_PER_CUSTOMER))
}

/** Line item `i` (0-based) of a data set of `n` line items. */
export function lineitemAt (i: number): LineItem {
  const orderkey = Math.floor(i / LINES_PER_ORDER) + 1
  const quantity = draw(i, 2, 1, 50)
  const part = draw(i, 3, 1, 200_000)
  const price = (90_000 + ((part / 10) % 20_001) + 100 * (part % 1_000)) / 100
  const shipdate = orderDate(orderkey) + draw(i, 4, 1, 121) * DAY
  const receipt = shipdate + draw(i, 5, 1, 30) * DAY
  return {
    l_orderkey: orderkey,
    l_quantity: quantity,
    l_extendedprice: Math.round(quantity * price * 100) / 100,
    l_discount: draw(i, 6, 0, 10) / 100,
    l_tax: draw(i, 7, 0, 8) / 100,
    l_returnflag: receipt <= CURRENT_DATE ? (draw(i, 8, 0, 1) === 0 ? 'R' : 'A') : 'N',
    l_linestatus: shipdate > CURRENT_DATE ? 'O' : 'F',
    l_shipdate: shipdate
  }
}

/** Order `i` (0-based, key i + 1) of `orders` orders. */
export function orderAt (i: number, orders: number): Order {
  const orderkey = i + 1
  return { o_orderkey: orderkey, o_custkey: draw(orderkey, 9, 1, customersFor(orders)), o_orderdate: orderDate(orderkey), o_shippriority: 0 }
}

/** Customer `i` (0-based, key i + 1). */
export function customerAt (i: number): Customer {
  return { c_custkey: i + 1, c_mktsegment: SEGMENTS[draw(i + 1, 10, 0, SEGMENTS.length - 1)]! }
}

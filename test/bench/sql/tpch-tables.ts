/**
 * TPC-H-like tables for the SQL benchmark: `lineitem`, `orders`, `customer`, `supplier`,
 * `nation` and `region` with every column TPC-H Q1, Q3, Q5, Q6, Q10 and Q12 use. The columns
 * the batch benchmark already has come from its generator (../batch/tpch-data.ts: same
 * values, so both benchmarks read the same line items); the rest follow the TPC-H
 * specification §4.2.3: 25 nations in 5 regions, supplier and customer nations uniform,
 * commit date = order date + 30..90 days, receipt date = ship date + 1..30 days (the return
 * flag and line status follow from them and TPC-H's CURRENTDATE 1995-06-17), 7 ship modes, 5
 * order priorities, customer names, addresses, phones (country code = nation + 10), account
 * balances and comments. Scale: `n` line items, n/4 orders, n/40 customers, n/600 suppliers
 * (TPC-H's proportions: 6M line items is scale factor 1).
 *
 * Every row is a pure function of its index, so a `datagen` source can split the generation
 * across subtasks and DuckDB is loaded with the same rows. Integer keys are `number` columns
 * in meshflow (DOUBLE in its SQL, int32 in the segments) and INTEGER in DuckDB; money and
 * quantities are DOUBLE in both (TPC-H's DECIMAL has no meshflow type); dates are `timestamp`
 * columns (epoch ms of UTC midnight) in meshflow and DATE in DuckDB, so the queries' `DATE
 * '…'` literals mean the same in both.
 *
 * @example
 * for (const t of tpchTables(6_000_000)) env.fromSource(datagen({ count: t.rows, generate: t.generate }), …).toDataSet().writeDataset(t.name, { schema: t.schema, … })
 */
import type { ColumnType, DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { DAY, START_DATE, customerAt, customersFor, draw, lineitemAt, orderAt, orderDate, ordersFor } from '../batch/tpch-data.ts'

/** A column: its meshflow dataset type and its DuckDB type. */
export interface TpchColumn {
  readonly name: string
  readonly type: ColumnType
  readonly duckdb: 'INTEGER' | 'DOUBLE' | 'DATE' | 'VARCHAR'
}

/** One table of the data set: its rows by index and how it is stored. */
export interface TpchTable {
  readonly name: string
  readonly rows: number
  readonly columns: readonly TpchColumn[]
  readonly schema: DatasetSchema
  /** Row `i` (0-based) as an object keyed by column name. */
  readonly generate: (i: number) => Record<string, string | number>
  /** The hash-partitioning column (undefined: one round-robin partition, for the small tables). */
  readonly partitionBy: string | undefined
}

/** TPC-H's 25 nations: name and region key (spec §4.2.3). */
export const NATIONS = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4], ['ETHIOPIA', 0], ['FRANCE', 3], ['GERMANY', 3],
  ['INDIA', 2], ['INDONESIA', 2], ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2], ['JORDAN', 4], ['KENYA', 0], ['MOROCCO', 0],
  ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3], ['SAUDI ARABIA', 4], ['VIETNAM', 2], ['RUSSIA', 3],
  ['UNITED KINGDOM', 3], ['UNITED STATES', 1]
] as const
/** TPC-H's 5 regions, by key. */
export const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'] as const
/** `l_shipmode`'s values (uniform). */
export const SHIP_MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'] as const
/** `o_orderpriority`'s values (uniform). */
export const ORDER_PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'] as const
/** Words of the comment columns (a sample of TPC-H's grammar's nouns, verbs and adverbs). */
const WORDS = [
  'furiously', 'sly', 'careful', 'blithely', 'quickly', 'fluffily', 'slyly', 'ironic', 'final', 'pending', 'regular', 'express',
  'special', 'bold', 'even', 'silent', 'unusual', 'packages', 'requests', 'accounts', 'deposits', 'foxes', 'ideas', 'theodolites',
  'pinto', 'beans', 'instructions', 'dependencies', 'excuses', 'platelets', 'asymptotes', 'courts', 'dolphins', 'sleep', 'wake',
  'are', 'haggle', 'nag', 'use', 'boost', 'affix', 'detect', 'integrate', 'cajole', 'among', 'across', 'after', 'above'
] as const
const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,. '

/** Rows of each table for `lineitems` line items. */
export function tpchSizes (lineitems: number): Record<'lineitem' | 'orders' | 'customer' | 'supplier' | 'nation' | 'region', number> {
  const orders = ordersFor(lineitems)
  return { lineitem: lineitems, orders, customer: customersFor(orders), supplier: Math.max(1, Math.ceil(lineitems / 600)), nation: NATIONS.length, region: REGIONS.length }
}

/** A comment of `min`..`max` characters: words drawn by (`key`, `salt`). */
function text (key: number, salt: number, min: number, max: number): string {
  const length = draw(key, salt, min, max)
  let s = ''
  for (let j = 0; s.length < length; j++) s += (j === 0 ? '' : ' ') + WORDS[draw(key * 131 + j, salt + 1, 0, WORDS.length - 1)]!
  return s.slice(0, length)
}

/** `min`..`max` characters drawn by (`key`, `salt`) from TPC-H's address alphabet. */
function chars (key: number, salt: number, min: number, max: number): string {
  const length = draw(key, salt, min, max)
  let s = ''
  for (let j = 0; j < length; j++) s += ALPHANUMERIC[draw(key * 64 + j, salt + 1, 0, ALPHANUMERIC.length - 1)]!
  return s
}

/** Line item `i` with every column of the six queries, `suppliers` suppliers to draw from. */
export function lineitemRow (i: number, suppliers: number): Record<string, string | number> {
  const base = lineitemAt(i)
  const ordered = orderDate(base.l_orderkey)
  return {
    l_orderkey: base.l_orderkey,
    l_suppkey: draw(i, 11, 1, suppliers),
    l_quantity: base.l_quantity,
    l_extendedprice: base.l_extendedprice,
    l_discount: base.l_discount,
    l_tax: base.l_tax,
    l_returnflag: base.l_returnflag,
    l_linestatus: base.l_linestatus,
    l_shipdate: base.l_shipdate,
    l_commitdate: ordered + draw(i, 12, 30, 90) * DAY,
    // as tpch-data.ts draws it (its return flag follows from it)
    l_receiptdate: base.l_shipdate + draw(i, 5, 1, 30) * DAY,
    l_shipmode: SHIP_MODES[draw(i, 13, 0, SHIP_MODES.length - 1)]!
  }
}

/** The ship date of line item `i` (as lineitemRow's, without making the row). */
export function shipdateOf (i: number): number {
  return orderDate(Math.floor(i / 4) + 1) + draw(i, 4, 1, 121) * DAY
}

/**
 * The line items' indexes ordered by ship date (a counting sort over the days), for a
 * dataset whose segments each cover a narrow range of dates (the pruning measurement).
 */
export function byShipdate (lineitems: number): Uint32Array {
  const days = new Uint16Array(lineitems)
  let maxDay = 0
  for (let i = 0; i < lineitems; i++) {
    const d = (shipdateOf(i) - START_DATE) / DAY
    days[i] = d
    if (d > maxDay) maxDay = d
  }
  const starts = new Uint32Array(maxDay + 2)
  for (let i = 0; i < lineitems; i++) starts[days[i]! + 1]!++
  for (let d = 1; d < starts.length; d++) starts[d]! += starts[d - 1]!
  const out = new Uint32Array(lineitems)
  for (let i = 0; i < lineitems; i++) out[starts[days[i]!]!++] = i
  return out
}

const col = (name: string, type: ColumnType, duckdb: TpchColumn['duckdb']): TpchColumn => ({ name, type, duckdb })
const key = (name: string): TpchColumn => col(name, 'number', 'INTEGER')
const money = (name: string): TpchColumn => col(name, 'number', 'DOUBLE')
const date = (name: string): TpchColumn => col(name, 'timestamp', 'DATE')
const str = (name: string): TpchColumn => col(name, 'string', 'VARCHAR')

const table = (name: string, rows: number, columns: TpchColumn[], generate: TpchTable['generate'], partitionBy: string | undefined): TpchTable =>
  ({ name, rows, columns, schema: { columns: columns.map(c => ({ name: c.name, type: c.type })) }, generate, partitionBy })

/** The six tables of `lineitems` line items. */
export function tpchTables (lineitems: number): TpchTable[] {
  const n = tpchSizes(lineitems)
  return [
    table('lineitem', n.lineitem, [
      key('l_orderkey'), key('l_suppkey'), money('l_quantity'), money('l_extendedprice'), money('l_discount'), money('l_tax'),
      str('l_returnflag'), str('l_linestatus'), date('l_shipdate'), date('l_commitdate'), date('l_receiptdate'), str('l_shipmode')
    ], i => lineitemRow(i, n.supplier), 'l_orderkey'),
    table('orders', n.orders, [key('o_orderkey'), key('o_custkey'), date('o_orderdate'), str('o_orderpriority'), key('o_shippriority')], i => {
      const o = orderAt(i, n.orders)
      return { o_orderkey: o.o_orderkey, o_custkey: o.o_custkey, o_orderdate: o.o_orderdate, o_orderpriority: ORDER_PRIORITIES[draw(o.o_orderkey, 14, 0, 4)]!, o_shippriority: o.o_shippriority }
    }, 'o_orderkey'),
    table('customer', n.customer, [
      key('c_custkey'), str('c_name'), str('c_address'), key('c_nationkey'), str('c_phone'), money('c_acctbal'), str('c_mktsegment'), str('c_comment')
    ], i => {
      const k = i + 1
      const nation = draw(k, 15, 0, NATIONS.length - 1)
      return {
        c_custkey: k,
        c_name: `Customer#${String(k).padStart(9, '0')}`,
        c_address: chars(k, 16, 10, 40),
        c_nationkey: nation,
        c_phone: `${nation + 10}-${draw(k, 18, 100, 999)}-${draw(k, 19, 100, 999)}-${draw(k, 20, 1000, 9999)}`,
        c_acctbal: draw(k, 21, -99_999, 999_999) / 100,
        c_mktsegment: customerAt(i).c_mktsegment,
        c_comment: text(k, 22, 29, 116)
      }
    }, 'c_custkey'),
    table('supplier', n.supplier, [key('s_suppkey'), key('s_nationkey')], i => ({ s_suppkey: i + 1, s_nationkey: draw(i + 1, 24, 0, NATIONS.length - 1) }), 's_suppkey'),
    table('nation', n.nation, [key('n_nationkey'), str('n_name'), key('n_regionkey')], i => ({ n_nationkey: i, n_name: NATIONS[i]![0], n_regionkey: NATIONS[i]![1] }), undefined),
    table('region', n.region, [key('r_regionkey'), str('r_name')], i => ({ r_regionkey: i, r_name: REGIONS[i]! }), undefined)
  ]
}

/** The columns of the pruning dataset `lineitem_by_date`: line items in ship-date order. */
export const BY_DATE_COLUMNS: readonly TpchColumn[] = [date('l_shipdate'), money('l_quantity'), money('l_extendedprice'), money('l_discount')]

/** `lineitem_by_date`: the line items' pruning columns, row i the i-th by ship date. */
export function byDateTable (lineitems: number): TpchTable {
  const order = byShipdate(lineitems)
  return table('lineitem_by_date', lineitems, [...BY_DATE_COLUMNS], i => {
    const l = lineitemAt(order[i]!)
    return { l_shipdate: l.l_shipdate, l_quantity: l.l_quantity, l_extendedprice: l.l_extendedprice, l_discount: l.l_discount }
  }, undefined)
}

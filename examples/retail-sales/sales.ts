/**
 * The deterministic sales events of the retail example: sale `i` of `count` is a pure
 * function of `(i, count)`, so a test can recompute every expected result without running
 * the engine, and a replay after a failure yields exactly the same records.
 *
 * Event times are spread evenly over `SPAN_MS` (10 minutes) from `START_MS`, each moved
 * back by a jitter of up to `MAX_JITTER_MS` (2 s): the stream is out of order, but never
 * by more than the 2 s the job's watermark strategy allows, so no sale is late (a source
 * subtask has seen at most `base(i)`, so its watermark is below `base(i) - 2 s <= ts(i)`). About one
 * sale in 40 is a return (amount <= 0), which the job filters out.
 *
 * @example
 * const s = sale(0, 1000) // { id: 0, store: 'berlin', product: 'espresso', amount: 2.4, ts: … }
 */

export interface Sale {
  readonly id: number
  readonly store: string
  readonly product: string
  /** Price times quantity, in currency units with two decimals; <= 0 for a return. */
  readonly amount: number
  /** Event time, epoch milliseconds. */
  readonly ts: number
}

/** 2024-03-01T09:00:00Z, minute-aligned. */
export const START_MS = Date.UTC(2024, 2, 1, 9, 0, 0)
export const SPAN_MS = 10 * 60_000
export const MAX_JITTER_MS = 2_000

export const STORES = ['berlin', 'lisbon', 'oslo', 'paris', 'rome', 'vienna'] as const

/** Products and unit prices in cents. */
export const PRODUCTS: readonly (readonly [name: string, cents: number])[] = [
  ['espresso', 240], ['cappuccino', 390], ['croissant', 280], ['bagel', 350],
  ['sandwich', 690], ['salad', 850], ['juice', 450], ['water', 150],
  ['muffin', 310], ['cookie', 190], ['tea', 260], ['brownie', 330]
]

/** A well-mixed hash of `(i, salt)` to [0, 1) (splitmix32-style finaliser). */
export function unitHash (i: number, salt: number): number {
  let h = (Math.imul(i, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca77)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}

/**
 * Sale `i` of a stream of `count` sales. Event time never decreases by more than
 * MAX_JITTER_MS: sale `i` is at most that much older than any earlier sale.
 */
export function sale (i: number, count: number): Sale {
  const store = STORES[Math.floor(unitHash(i, 1) * STORES.length)]!
  // event time: evenly spread over [START_MS + MAX_JITTER_MS, START_MS + SPAN_MS), then
  // moved back by up to MAX_JITTER_MS, so every sale falls in one of the SPAN_MS / 60 s minutes
  const base = START_MS + MAX_JITTER_MS + Math.floor(i * (SPAN_MS - MAX_JITTER_MS) / Math.max(1, count))
  const ts = base - Math.floor(unitHash(i, 5) * (MAX_JITTER_MS + 1))
  // a skewed product mix whose favourites shift every minute, so the top 3 changes
  const minute = Math.floor((base - START_MS) / 60_000)
  const p = (Math.floor(unitHash(i, 2) ** 2 * PRODUCTS.length) + minute * 5) % PRODUCTS.length
  const [product, cents] = PRODUCTS[p]!
  const quantity = 1 + Math.floor(unitHash(i, 3) * 4)
  const isReturn = unitHash(i, 4) < 0.025
  const amountCents = isReturn ? -cents : cents * quantity
  return { id: i, store, product, amount: amountCents / 100, ts }
}

/** Amount in whole cents: sums of cents are exact in any order, unlike sums of floats. */
export function centsOf (amount: number): number {
  return Math.round(amount * 100)
}

/**
 * ORDER BY's comparison of two sort keys (arrays of the key values): per key ascending or
 * descending, NULLs first or last as written (DuckDB's default: last), then the next key.
 * Values of one key have one SQL type: numbers and bigints compare by value (NaN after
 * every number, as DuckDB orders it), strings by code unit, booleans false < true.
 *
 * @example
 * const compare = compileSortComparator([{ descending: true, nullsFirst: false }])
 * [[3], [null], [5]].sort(compare)   // [[5], [3], [null]]
 */

export interface SortOrder {
  readonly descending: boolean
  readonly nullsFirst: boolean
}

function compareValues (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== a) return b !== b ? 0 : 1 // eslint-disable-line no-self-compare
    if (b !== b) return -1 // eslint-disable-line no-self-compare
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

/** The comparator of sort keys in `orders` (see the module comment). */
export function compileSortComparator (orders: readonly SortOrder[]): (a: unknown, b: unknown) => number {
  const n = orders.length
  const sign = orders.map(o => o.descending ? -1 : 1)
  const nullSign = orders.map(o => o.nullsFirst ? -1 : 1)
  return (a, b) => {
    const x = a as readonly unknown[]
    const y = b as readonly unknown[]
    for (let i = 0; i < n; i++) {
      const u = x[i]
      const v = y[i]
      if (u === null || v === null) {
        if (u === v) continue
        return u === null ? nullSign[i]! : -nullSign[i]!
      }
      const c = compareValues(u, v)
      if (c !== 0) return sign[i]! * c
    }
    return 0
  }
}

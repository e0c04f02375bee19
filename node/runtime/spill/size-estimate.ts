/**
 * What a held record costs on the heap, estimated cheaply: `estimateSize` walks a value and
 * adds what V8 (64-bit, no pointer compression) roughly spends on it; `SizeEstimate` runs it
 * only on a sample of the records an operator holds (the first ones, then one in 64) and
 * charges every record the running mean. Measuring every record (or JSON.stringify) would
 * cost more than holding it.
 */

/** V8's ConsString::kMinLength: shorter concatenations are copied into a flat string. */
const CONS_MIN_LENGTH = 13
/** A cons string's node (map, hash and length, two parts) and its second part's header. */
const CONS_BYTES = 32 + 16

/** What a value costs: a guess in the right order of magnitude, not an exact count. */
export function estimateSize (value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'number': return Number.isInteger(value) && value >= -0x40000000 && value < 0x40000000 ? 8 : 24
    // a flat string: its slot, header and characters; one of CONS_MIN_LENGTH or more may be a
    // concatenation (a template literal, `+`), which V8 keeps as a cons string of its parts —
    // a 32-byte node and a second part's header more than the flat string (measured: rows
    // made with a template literal were 1.5x their flat estimate on the heap)
    case 'string': return 8 + 16 + ((value.length + 7) & ~7) + (value.length >= CONS_MIN_LENGTH ? CONS_BYTES : 0)
    case 'boolean':
    case 'undefined':
    case 'symbol': return 8
    case 'bigint': return 32
    case 'function': return 64
  }
  if (value === null) return 8
  if (depth > 6) return 64
  if (Array.isArray(value)) {
    let n = 32 + 8
    for (let i = 0; i < value.length; i++) n += estimateSize(value[i], depth + 1)
    return n
  }
  if (value instanceof Uint8Array) return 64 + value.byteLength
  if (value instanceof Set || value instanceof Map) {
    let n = 64 + 8
    for (const x of value as Iterable<unknown>) n += 24 + estimateSize(x, depth + 1)
    return n
  }
  let n = 24 + 8
  for (const k in value as Record<string, unknown>) n += estimateSize((value as Record<string, unknown>)[k], depth + 1)
  return n
}

/** Records measured before sampling thins out. */
const FULL_SAMPLE = 32
/** Then one record in this many is measured. */
const SAMPLE_EVERY = 64

/**
 * The running mean size of the records of one kind an operator holds.
 *
 * @example
 * const size = new SizeEstimate()
 * held += size.of(row)  // measures 1 row in 64, returns the mean
 */
export class SizeEstimate {
  #seen = 0
  #measured = 0
  #mean = 0

  /** The estimated size of `value` (the running mean; `value` is measured now and then). */
  of (value: unknown): number {
    const seen = this.#seen++
    if (seen < FULL_SAMPLE || seen % SAMPLE_EVERY === 0) {
      const m = ++this.#measured
      this.#mean += (estimateSize(value) - this.#mean) / Math.min(m, 1024)
    }
    return this.#mean
  }

  /** The mean so far (0 before any record). */
  get mean (): number { return this.#mean }
}

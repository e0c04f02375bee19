/**
 * Prices of the Nexmark generator: log-uniform from $1 to $1M in cents, drawn from one
 * 32-bit random value `u` as `Math.round(Math.pow(10, u / 2^32 * 6) * 100)` (the formula
 * the Java port in test/bench/flink reproduces with `StrictMath.pow`).
 *
 * `Math.pow` is a call into a C routine and was a tenth of the generator's time, so
 * `PriceTable` computes the same value from three tables: with u = hi·2^20 + mid·2^8 + lo,
 * 10^(6u/2^32) = 10^(6hi/2^12) · 10^(6mid/2^24) · 10^(6lo/2^32). The product is within a few
 * units in the last place of the exact power, and so is `Math.pow`'s result, so both round
 * to the same integer unless the value lies within a hair (1e-13 of itself, hundreds of
 * times their error bound) of a half cent; then the exact formula decides. The price is
 * therefore always the one `exactCents` gives.
 */

const TWO_POW_32 = 4294967296
/** Relative distance to a half cent under which the exact formula decides. */
const MARGIN = 1e-13

/** The reference formula: the price in cents of random value `u` (unsigned 32-bit). */
export function exactCents (u: number): number {
  return Math.round(Math.pow(10, u / TWO_POW_32 * 6) * 100)
}

/** Computes `exactCents(u)` without `Math.pow` (see the module doc). */
export class PriceTable {
  /** 100 · 10^(6k/2^12), for the top 12 bits of u. */
  readonly #high = new Float64Array(4096)
  /** 10^(6k/2^24), for the middle 12 bits. */
  readonly #middle = new Float64Array(4096)
  /** 10^(6k/2^32), for the low 8 bits. */
  readonly #low = new Float64Array(256)
  /** Times the exact formula decided (for tests). */
  fallbacks = 0

  constructor () {
    // every exponent is exact: 6k times a power of two
    for (let k = 0; k < 4096; k++) {
      this.#high[k] = Math.pow(10, 6 * k / 4096) * 100
      this.#middle[k] = Math.pow(10, 6 * k / 16777216)
    }
    for (let k = 0; k < 256; k++) this.#low[k] = Math.pow(10, 6 * k / TWO_POW_32)
  }

  /** The price in cents of random value `u` (unsigned 32-bit): always `exactCents(u)`. */
  cents (u: number): number {
    const y = this.#high[u >>> 20]! * this.#middle[(u >>> 8) & 0xfff]! * this.#low[u & 0xff]!
    const whole = Math.floor(y)
    const fraction = y - whole
    if (Math.abs(fraction - 0.5) <= y * MARGIN) {
      this.fallbacks++
      return exactCents(u)
    }
    return fraction < 0.5 ? whole : whole + 1
  }
}

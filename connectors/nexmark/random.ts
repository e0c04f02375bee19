/**
 * The per-event random stream of the Nexmark generator. The reference draws every event
 * from one shared `SplittableRandom`, so event i depends on the events before it; here
 * the stream is re-seeded from (seed, event id) at the start of each event, which makes
 * event i a pure function of the configuration and i, whatever the parallelism and after
 * any restore. The algorithm is small and 32-bit so a Java port reproduces it exactly:
 *
 *   state = fmix32(fmix32(seed ^ 0x9e3779b9 ^ lo) + hi)      (lo, hi: the id's 32-bit halves)
 *   next  = mulberry32(state)                                 (unsigned 32-bit)
 *   nextInt(n) = floor(next * n / 2^32),  nextDouble = next / 2^32
 *
 * (fmix32 is MurmurHash3's finaliser; all arithmetic is on int32 with unsigned shifts.)
 */

const TWO_POW_32 = 4294967296

function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/** A reseedable 32-bit random stream (see the module doc). */
export class EventRandom {
  #state = 0

  /** Restarts the stream for event `id` of a generator seeded with `seed` (int32). */
  reset (seed: number, id: number): void {
    const lo = id >>> 0
    const hi = Math.floor(id / TWO_POW_32) | 0
    this.#state = fmix32((fmix32(seed ^ 0x9e3779b9 ^ lo) + hi) | 0)
  }

  /** The next unsigned 32-bit value (mulberry32). */
  nextU32 (): number {
    const a = this.#state = (this.#state + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }

  /** An integer in `[0, n)`; `n` at most 2^21 keeps the product exact. */
  nextInt (n: number): number {
    return Math.floor(this.nextU32() * n / TWO_POW_32)
  }

  /** An integer in `[0, n)` for any safe `n` (53 random bits past 2^21). */
  nextLong (n: number): number {
    if (n <= 2097152) return this.nextInt(n)
    const bits53 = (this.nextU32() >>> 11) * TWO_POW_32 + this.nextU32()
    return Math.floor(bits53 / 9007199254740992 * n)
  }

  /** A number in `[0, 1)`. */
  nextDouble (): number {
    return this.nextU32() / TWO_POW_32
  }
}

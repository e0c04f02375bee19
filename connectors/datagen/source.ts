import { setTimeout as sleep } from 'node:timers/promises'
import type { Source, SourceReader, SourceReaderContext, SourceSplit } from '../../node/api/source.ts'
import { InvalidArgumentError } from '../../node/api/errors.ts'

export interface DatagenOptions<T> {
  /** Number of records; leave out for an unbounded source. */
  readonly count?: number
  /** Record `i`; must be a pure function of `i` for replays to be exact. */
  readonly generate: (index: number) => T
  /** Records per second over all subtasks; unlimited when left out. */
  readonly ratePerSec?: number
  /** Number of splits (default: the source's parallelism at first start). */
  readonly splits?: number
}

export interface DatagenSplit extends SourceSplit {
  /** Next index this split yields. */
  readonly next: number
  /** Distance between consecutive indices of the split (the number of splits). */
  readonly stride: number
}

class DatagenReader<T> implements SourceReader<T, DatagenSplit> {
  readonly #options: DatagenOptions<T>
  readonly #context: SourceReaderContext
  readonly #count: number
  #splits: { id: string, next: number, stride: number }[] = []
  /** Records this reader may still emit before the rate limit makes it wait. */
  #tokens = 0
  #lastRefill = 0
  #ratePerSec = 0

  constructor (options: DatagenOptions<T>, context: SourceReaderContext) {
    this.#options = options
    this.#context = context
    this.#count = options.count ?? Number.POSITIVE_INFINITY
  }

  addSplits (splits: DatagenSplit[]): void {
    for (const s of splits) this.#splits.push({ id: s.id, next: s.next, stride: s.stride })
    const total = this.#splits[0]?.stride ?? 1
    if (this.#options.ratePerSec !== undefined) {
      this.#ratePerSec = this.#options.ratePerSec * this.#splits.length / total
      this.#lastRefill = performance.now()
    }
  }

  pollNext (max: number): T[] | null | Promise<T[] | null> {
    if (this.#splits.some(s => s.next >= this.#count)) this.#splits = this.#splits.filter(s => s.next < this.#count)
    if (this.#splits.length === 0) {
      if (this.#count !== Number.POSITIVE_INFINITY) return null
      // an unbounded source without splits waits until the job is cancelled
      return new Promise(resolve => { this.#context.signal.addEventListener('abort', () => { resolve(null) }, { once: true }) })
    }
    let limit = max
    if (this.#ratePerSec > 0) {
      const now = performance.now()
      this.#tokens = Math.min(this.#tokens + (now - this.#lastRefill) * this.#ratePerSec / 1000, Math.max(1, this.#ratePerSec / 10))
      this.#lastRefill = now
      if (this.#tokens < 1) {
        const waitMs = Math.ceil((1 - this.#tokens) * 1000 / this.#ratePerSec)
        // cancelling the job ends the wait with no records
        return sleep(waitMs, undefined, { signal: this.#context.signal }).then(() => this.pollNext(max), () => null)
      }
      limit = Math.min(max, Math.floor(this.#tokens))
      this.#tokens -= limit
    }
    const generate = this.#options.generate
    const splits = this.#splits
    const count = this.#count
    if (splits.length === 1) {
      // one split: the batch size is known up front, so the array is made at its size
      const s = splits[0]!
      const n = Math.min(limit, Math.ceil((count - s.next) / s.stride))
      const batch = new Array<T>(n)
      let next = s.next
      for (let k = 0; k < n; k++) {
        batch[k] = generate(next)
        next += s.stride
      }
      s.next = next
      return n === 0 && count !== Number.POSITIVE_INFINITY ? null : batch
    }
    // the split with the lowest next index goes first: indices (and so event time, for a
    // generator increasing in i) come out in order even when a restore gave this reader
    // splits of former subtasks that had got to different points
    const out: T[] = []
    while (out.length < limit) {
      let s: { next: number, stride: number } | undefined
      for (const x of splits) if (x.next < count && (s === undefined || x.next < s.next)) s = x
      if (s === undefined) break
      out.push(generate(s.next))
      s.next += s.stride
    }
    return out.length === 0 && count !== Number.POSITIVE_INFINITY ? null : out
  }

  snapshotSplits (): DatagenSplit[] {
    return this.#splits.filter(s => s.next < this.#count).map(s => ({ id: s.id, next: s.next, stride: s.stride }))
  }

  close (): void {}
}

/** A deterministic, replayable generator source (see the module doc). */
export function datagen<T> (options: DatagenOptions<T>): Source<T, DatagenSplit> {
  if (typeof options?.generate !== 'function') throw new InvalidArgumentError('datagen needs a generate(i) function')
  const { count, ratePerSec, splits } = options
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new InvalidArgumentError(`datagen count must be a non-negative integer, got ${count}`)
  if (ratePerSec !== undefined && !(ratePerSec > 0)) throw new InvalidArgumentError(`datagen ratePerSec must be positive, got ${ratePerSec}`)
  if (splits !== undefined && (!Number.isInteger(splits) || splits < 1)) throw new InvalidArgumentError(`datagen splits must be a positive integer, got ${splits}`)
  return {
    bounded: count !== undefined,
    createSplits (parallelism: number): DatagenSplit[] {
      const n = splits ?? parallelism
      return Array.from({ length: n }, (_, k) => ({ id: String(k), next: k, stride: n }))
    },
    createReader: context => new DatagenReader(options, context)
  }
}

/**
 * Test helpers shared by the engine's suites: a source whose splits are in-memory lists and
 * whose end the test controls, a condition poller, and a few small utilities. Not a test
 * file itself (run.ts only runs `*.test.ts`).
 */
import type { Source, SourceReader, SourceReaderContext, SourceSplit } from 'meshflow'

export interface ListSplit extends SourceSplit {
  readonly index: number
  readonly next: number
}

export interface ListSourceOptions {
  /**
   * When given, a reader that has emitted all its items waits for this promise before it
   * ends (so the job stays alive, e.g. for processing-time timers). `'forever'` waits until
   * the job is cancelled, like an unbounded source.
   */
  readonly hold?: Promise<unknown> | 'forever'
  /** Called with the split index after a reader emitted the last item of its split. */
  readonly onExhausted?: (split: number) => void
  /** Per split: a promise to wait for before the item at that position is emitted. */
  readonly gates?: ReadonlyMap<string, Promise<unknown>>
}

/**
 * A source with one split per list: split `k` emits `lists[k]` in order. Run it at
 * parallelism `lists.length` (or less: splits are dealt round-robin) to get a parallel
 * source whose subtasks each see known data. A subtask with no split emits nothing and,
 * with `hold`, waits like an unbounded source with no data.
 *
 * `gates` holds back an item: key `"split:position"` makes the reader wait for the promise
 * before emitting `lists[split][position]`.
 */
export function listSource<T> (lists: readonly (readonly T[])[], options: ListSourceOptions = {}): Source<T, ListSplit> {
  return {
    bounded: options.hold === undefined,
    createSplits: () => lists.map((_, index) => ({ id: String(index), index, next: 0 })),
    createReader: (context: SourceReaderContext) => new ListReader(lists, options, context)
  }
}

class ListReader<T> implements SourceReader<T, ListSplit> {
  readonly #lists: readonly (readonly T[])[]
  readonly #options: ListSourceOptions
  readonly #context: SourceReaderContext
  #splits: { index: number, next: number }[] = []
  #passed = new Set<string>()

  constructor (lists: readonly (readonly T[])[], options: ListSourceOptions, context: SourceReaderContext) {
    this.#lists = lists
    this.#options = options
    this.#context = context
  }

  addSplits (splits: ListSplit[]): void {
    for (const s of splits) this.#splits.push({ index: s.index, next: s.next })
  }

  pollNext (max: number): T[] | null | Promise<T[] | null> {
    const out: T[] = []
    for (const s of this.#splits) {
      const list = this.#lists[s.index]!
      while (s.next < list.length && out.length < max) {
        const gateKey = `${s.index}:${s.next}`
        const gate = this.#options.gates?.get(gateKey)
        if (gate !== undefined && !this.#passed.has(gateKey)) {
          if (out.length > 0) return out
          return this.#wait(gate).then(ok => {
            if (!ok) return null
            this.#passed.add(gateKey)
            return this.pollNext(max)
          })
        }
        out.push(list[s.next]!)
        s.next++
        if (s.next === list.length) this.#options.onExhausted?.(s.index)
      }
      if (out.length >= max) return out
    }
    if (out.length > 0) return out
    const hold = this.#options.hold
    if (hold === undefined) return null
    return this.#wait(hold === 'forever' ? new Promise(() => {}) : hold).then(() => null)
  }

  /** Resolves true when `p` settled, false when the job was cancelled first. */
  #wait (p: Promise<unknown>): Promise<boolean> {
    const signal = this.#context.signal
    if (signal.aborted) return Promise.resolve(false)
    return new Promise(resolve => {
      const onAbort = (): void => { resolve(false) }
      signal.addEventListener('abort', onAbort, { once: true })
      p.then(() => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }, () => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      })
    })
  }

  snapshotSplits (): ListSplit[] {
    return this.#splits.map(s => ({ id: String(s.index), index: s.index, next: s.next }))
  }

  close (): void {}
}

export interface Deferred<T = void> {
  readonly promise: Promise<T>
  resolve(value: T): void
}

export function deferred<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>(r => { resolve = r })
  return { promise, resolve }
}

/**
 * Polls `condition` every few milliseconds until it holds; rejects with `what` after
 * `timeoutMs` so that a broken engine fails the test instead of hanging it.
 */
export async function waitFor (what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}

/** Resolves after `ms` (only for bounded negative checks: "nothing happened in this long"). */
export function delay (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** A copy sorted by the JSON text of each element: compares multisets of records. */
export function sorted<T> (values: readonly T[]): T[] {
  return values.map(v => [JSON.stringify(v), v] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(([, v]) => v)
}

/** Sum aggregate over a numeric field, with merge (usable with session windows). */
export function sumOf<T> (field: (value: T) => number): { createAccumulator: () => number, add: (v: T, acc: number) => number, getResult: (acc: number) => number, merge: (a: number, b: number) => number } {
  return {
    createAccumulator: () => 0,
    add: (v, acc) => acc + field(v),
    getResult: acc => acc,
    merge: (a, b) => a + b
  }
}

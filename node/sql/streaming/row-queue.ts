/**
 * A bounded queue of row batches between a job's sink (the producer, in this process) and
 * the reader of a continuous query: `push` returns a promise while the queue holds more
 * than its capacity of rows (holding the job back), `batches()` yields what was pushed,
 * in order, until `end()` (then the rest, then done; with an error, that error once the
 * rest is read).
 *
 * @example
 * const q = new RowQueue(1000)
 * await q.push([[1, 'a']]); q.end()
 * for await (const rows of q.batches()) console.log(rows)
 */
type Row = unknown[]

export class RowQueue {
  readonly #capacity: number
  readonly #batches: Row[][] = []
  #rows = 0
  #ended = false
  #error: unknown
  /** The reader waiting for a batch or the end. */
  #wakeReader: (() => void) | undefined
  /** Producers waiting for room. */
  readonly #wakeWriters: (() => void)[] = []

  constructor (capacity: number) {
    this.#capacity = capacity
  }

  /** Adds a batch (ignored after the end); resolves when there is room again. */
  push (rows: readonly Row[]): void | Promise<void> {
    if (this.#ended || rows.length === 0) return
    this.#batches.push([...rows])
    this.#rows += rows.length
    this.#wakeReader?.()
    if (this.#rows <= this.#capacity) return
    return new Promise(resolve => { this.#wakeWriters.push(resolve) })
  }

  /** No more batches; `error` is thrown to the reader after the ones queued. Idempotent. */
  end (error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    this.#wakeReader?.()
    for (const wake of this.#wakeWriters.splice(0)) wake()
  }

  /** The batches as they come. */
  async * batches (): AsyncGenerator<Row[], void, undefined> {
    for (;;) {
      const batch = this.#batches.shift()
      if (batch !== undefined) {
        this.#rows -= batch.length
        if (this.#rows <= this.#capacity) for (const wake of this.#wakeWriters.splice(0)) wake()
        yield batch
        continue
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error
        return
      }
      await new Promise<void>(resolve => { this.#wakeReader = resolve })
      this.#wakeReader = undefined
    }
  }
}

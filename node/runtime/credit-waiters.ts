/**
 * The writers of a channel waiting for credit: `wait` resolves when `release` is called
 * (credit came back, or the job ended), or at once when its signal aborts — the one piece
 * every channel kind (in memory, between threads, over the network) needs.
 *
 * @example
 * whenWritable (signal) { return this.writable ? Promise.resolve() : this.#waiters.wait(signal) }
 */
export class CreditWaiters {
  #waiting: (() => void)[] = []

  /** Whether anyone waits. */
  get waiting (): boolean { return this.#waiting.length > 0 }

  /** Resolves at the next `release`, or when `signal` aborts (at once if it has). */
  wait (signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#waiting.push(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** Wakes everyone waiting. */
  release (): void {
    if (this.#waiting.length === 0) return
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) w()
  }
}

/**
 * Wall-clock time and timers for one task. Every callback runs through the task's error
 * handler and is followed by a flush of the task's output, and `stop()` cancels every
 * timer still pending, so nothing fires after a task ended.
 */
export interface ProcessingTimeServiceInit {
  /** Called when a callback throws; the task fails with that error. */
  onError(error: unknown): void
  /** Called after each callback so records it emitted leave the task. */
  afterCallback(): void
  /** Defaults to `Date.now`. */
  now?: () => number
}

export class ProcessingTimeService {
  readonly now: () => number
  readonly #init: ProcessingTimeServiceInit
  readonly #handles = new Set<ReturnType<typeof setTimeout>>()
  #stopped = false

  constructor (init: ProcessingTimeServiceInit) {
    this.#init = init
    this.now = init.now ?? Date.now
  }

  /** Runs `callback(time)` once the clock has reached `time`. Returns a cancel function. */
  schedule (time: number, callback: (time: number) => void): () => void {
    if (this.#stopped) return () => {}
    const handle = setTimeout(() => {
      this.#handles.delete(handle)
      if (this.#stopped) return
      try {
        callback(time)
        this.#init.afterCallback()
      } catch (err) {
        this.#init.onError(err)
      }
    }, Math.max(0, time - this.now()))
    this.#handles.add(handle)
    return () => {
      clearTimeout(handle)
      this.#handles.delete(handle)
    }
  }

  stop (): void {
    this.#stopped = true
    for (const h of this.#handles) clearTimeout(h)
    this.#handles.clear()
  }
}

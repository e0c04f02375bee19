/**
 * How one run of a job's subtasks ends early: the first failure of a subtask, or the
 * caller's cancellation. `runTasks` (subtasks on one thread) and TaskThreads (subtasks on
 * worker threads) share it, so both report an ended run the same way.
 *
 * @example
 * const abort = new RunAbort('word-count', options.signal)
 * try { ...tasks get abort.signal and report failures to abort.fail... } finally { abort.dispose() }
 * abort.throwIfAborted(channels) // a JobCancelledError, or a JobExecutionError naming the first failure
 */
import { JobCancelledError, JobExecutionError } from './errors.ts'

export class RunAbort {
  readonly #controller = new AbortController()
  readonly #jobName: string
  readonly #caller: AbortSignal | undefined
  readonly #onCancel = (): void => { this.#controller.abort(new JobCancelledError(this.#jobName)) }
  #first: unknown

  /** `caller` cancels the run when it aborts (at once if it has already). */
  constructor (jobName: string, caller?: AbortSignal) {
    this.#jobName = jobName
    this.#caller = caller
    caller?.addEventListener('abort', this.#onCancel, { once: true })
    if (caller?.aborted === true) this.#onCancel()
  }

  /** Aborts when the run fails or is cancelled: what its subtasks and channels watch. */
  get signal (): AbortSignal { return this.#controller.signal }

  /** The first failure (later ones are consequences of it), or undefined. */
  get firstError (): unknown { return this.#first }

  /** Fails the run with `err`; the first failure is the one reported. */
  readonly fail = (err: unknown): void => {
    if (this.#first === undefined) this.#first = err
    this.#controller.abort(err)
  }

  /** Stops listening to the caller's signal. Safe to call twice. */
  dispose (): void {
    this.#caller?.removeEventListener('abort', this.#onCancel)
  }

  /**
   * After the run: when it was aborted, releases `channels` (telling the consumers on other
   * peers why, unless it was cancelled) and throws a JobCancelledError, or a
   * JobExecutionError with the first failure.
   */
  throwIfAborted (channels: { release(failure?: unknown): void }): void {
    if (!this.#controller.signal.aborted) return
    const first = this.#first
    channels.release(first instanceof JobCancelledError ? undefined : first)
    const reason = first ?? this.#controller.signal.reason
    if (reason instanceof JobCancelledError) throw reason
    throw new JobExecutionError(this.#jobName, reason)
  }
}

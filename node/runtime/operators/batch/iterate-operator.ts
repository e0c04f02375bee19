/**
 * `iterate(maxIterations, step)`: gathers the iteration's input — the initial rows and the
 * rows of each static input, tagged `[input, row]` — in one subtask, then runs the step
 * superstep after superstep (`runStep`, which runs the step's pipeline over the current
 * rows) until `maxIterations` or the termination criterion says stop, and emits the rows
 * of the last superstep. Everything lives in this subtask's memory; it emits at `finish`.
 */
import { NO_TIMESTAMP } from '../../stream-element.ts'
import { StreamOperator } from '../../stream-operator.ts'

/** One superstep: the next rows, and whether the termination criterion ended the iteration. */
export interface SuperstepResult {
  readonly next: unknown[]
  readonly terminate: boolean
}

/** Runs superstep `iteration` (from 1) over `current`, with the static inputs' rows. */
export type RunSuperstep = (current: unknown[], statics: readonly unknown[][], iteration: number, signal: AbortSignal) => Promise<SuperstepResult>

export class IterateOperator extends StreamOperator {
  readonly #maxIterations: number
  readonly #run: RunSuperstep
  readonly #inputs: unknown[][]
  #watermark: number | undefined
  /** Supersteps run (for tests and metrics). */
  iterations = 0

  constructor (maxIterations: number, statics: number, run: RunSuperstep) {
    super()
    this.#maxIterations = maxIterations
    this.#run = run
    this.#inputs = Array.from({ length: statics + 1 }, () => [])
  }

  processElement (value: unknown): void {
    const [input, row] = value as [number, unknown]
    this.#inputs[input]!.push(row)
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
    this.#watermark = watermark // held back: passed on after the result
  }

  override async finish (): Promise<void> {
    let current = this.#inputs[0]!
    const statics = this.#inputs.slice(1)
    for (let i = 1; i <= this.#maxIterations; i++) {
      this.context.signal.throwIfAborted()
      let step: SuperstepResult
      try {
        step = await this.#run(current, statics, i, this.context.signal)
      } catch (err) {
        throw this.fail(err)
      }
      this.iterations = i
      current = step.next
      if (step.terminate) break
    }
    for (const row of current) this.output.collect(row, NO_TIMESTAMP)
    if (this.#watermark !== undefined) this.output.emitWatermark(this.#watermark)
  }
}

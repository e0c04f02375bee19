/**
 * `cross(other)`: every pair of a row of one side with a row of the other. Input 0 is the
 * side that stays where it is; input 1 (broadcast to every subtask) carries the other side
 * as `[1, row]` and, from every subtask of input 0's producer, its row count as `[0, n]`.
 * At the end of input each subtask therefore knows the exact size of the whole product
 * and refuses it, before emitting anything, when it passes `maxRows`.
 */
import { BatchOperator } from './batch-operator.ts'
import { CrossLimitExceededError } from './errors.ts'

export interface CrossInit {
  readonly maxRows: number
  /** True when input 0 is the right side of `fn` (the left side was broadcast). */
  readonly swapped: boolean
  readonly fn: (left: any, right: any) => unknown
}

/** A row of the broadcast side on input 1. */
export const CROSS_ROW = 1
/** A row count of input 0's producer on input 1. */
export const CROSS_COUNT = 0

export class CrossOperator extends BatchOperator {
  readonly #init: CrossInit
  #local: unknown[] = []
  #other: unknown[] = []
  #localTotal = 0

  constructor (init: CrossInit) {
    super()
    this.#init = init
  }

  processElement (value: unknown, _timestamp: number): void {
    this.#local.push(value)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const local = this.#local
    for (let i = 0; i < n; i++) local.push(values[i])
  }

  override processElement2 (value: unknown, _timestamp: number): void {
    const tagged = value as [number, unknown]
    if (tagged[0] === CROSS_ROW) this.#other.push(tagged[1])
    else this.#localTotal += tagged[1] as number
  }

  protected override produce (): void {
    const { fn, swapped, maxRows } = this.#init
    const rows = this.#localTotal * this.#other.length
    if (rows > maxRows) throw new CrossLimitExceededError(rows, maxRows)
    const local = this.#local
    const other = this.#other
    this.#local = []
    this.#other = []
    for (let i = 0; i < local.length; i++) {
      const a = local[i]
      for (let j = 0; j < other.length; j++) this.emit(swapped ? fn(other[j], a) : fn(a, other[j]))
    }
  }
}

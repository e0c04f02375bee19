/**
 * Names a side output. Records emitted with `context.output(tag, value)` are read with
 * `stream.sideOutput(tag)`.
 *
 * @example
 * const late = new OutputTag<Sale>('late-sales')
 * const windowed = sales.keyBy(s => s.store).window(...).sideOutputLateData(late).aggregate(...)
 * windowed.sideOutput(late).print('late')
 */
export class OutputTag<T> {
  readonly id: string
  /** Never set: carries the element type for the type checker only. */
  declare readonly __type?: T

  constructor (id: string) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new TypeError('OutputTag needs a non-empty id')
    }
    this.id = id
  }
}

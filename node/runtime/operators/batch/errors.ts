/**
 * Errors of the batch operators (the DataSet API at run time). Match on `err.name`; the
 * task wraps them in an OperatorError naming the operator.
 */

/** A cross product would emit more rows than its limit allows. */
export class CrossLimitExceededError extends Error {
  readonly rows: number
  readonly maxRows: number
  constructor (rows: number, maxRows: number, options?: ErrorOptions) {
    super(`Cross product of ${rows} rows exceeds its limit of ${maxRows} rows: filter or join the inputs first, or raise the limit with cross(other, { maxRows })`, options)
    this.name = 'CrossLimitExceededError'
    this.rows = rows
    this.maxRows = maxRows
  }
}

/**
 * Errors of SQL execution (the compiled expressions and aggregates). Match on `err.name`.
 */

/** A value does not fit its type: INTEGER or BIGINT overflow, a number cast out of range. */
export class SqlOverflowError extends Error {
  constructor (message = 'Numeric overflow') {
    super(message)
    this.name = 'SqlOverflowError'
  }
}

/** A value cannot be converted (CAST of 'abc' to INTEGER, of '2020-13-01' to DATE). */
export class SqlConversionError extends Error {
  constructor (message = 'Conversion failed') {
    super(message)
    this.name = 'SqlConversionError'
  }
}

/** A function was given an argument it is undefined for (sqrt of a negative, ln of zero, an unknown date_trunc unit). */
export class SqlFunctionError extends Error {
  constructor (message = 'Invalid function argument') {
    super(message)
    this.name = 'SqlFunctionError'
  }
}

/**
 * Errors raised while a job is being defined or built. Match on `err.name`.
 */

/** The job's pipeline is wrong: an API was used in a way that cannot run. */
export class JobDefinitionError extends Error {
  constructor (message = 'Invalid job definition', options?: ErrorOptions) {
    super(message, options)
    this.name = 'JobDefinitionError'
  }
}

/** Two operators of one job carry the same `uid`. */
export class DuplicateUidError extends JobDefinitionError {
  constructor (uid: string, options?: ErrorOptions) {
    super(`Duplicate operator uid '${uid}': every uid must be unique within a job`, options)
    this.name = 'DuplicateUidError'
  }
}

/** A configuration value (parallelism, window size, interval …) is out of range. */
export class InvalidArgumentError extends JobDefinitionError {
  constructor (message = 'Invalid argument', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}

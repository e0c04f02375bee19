/**
 * Errors of the runtime. Match on `err.name`.
 */
import { errorMessage } from '../../protocol/error-message.ts'

/** User code (or a connector) inside an operator threw; names the operator. */
export class OperatorError extends Error {
  readonly operatorName: string
  readonly operatorUid: string | undefined
  constructor (operatorName: string, operatorUid: string | undefined, cause: unknown) {
    const what = operatorUid !== undefined && operatorUid !== operatorName
      ? `Operator '${operatorName}' (uid ${operatorUid})`
      : `Operator '${operatorName}'`
    const reason = errorMessage(cause)
    super(`${what} failed: ${reason}`, { cause })
    this.name = 'OperatorError'
    this.operatorName = operatorName
    this.operatorUid = operatorUid
  }
}

/** The job failed; `cause` is the first error of a task. */
export class JobExecutionError extends Error {
  constructor (jobName: string, cause: unknown) {
    const reason = errorMessage(cause)
    super(`Job '${jobName}' failed: ${reason}`, { cause })
    this.name = 'JobExecutionError'
  }
}

/** The job was cancelled before it finished. */
export class JobCancelledError extends Error {
  constructor (jobName: string, options?: ErrorOptions) {
    super(`Job '${jobName}' was cancelled`, options)
    this.name = 'JobCancelledError'
  }
}

/** Saved state cannot be restored into the job (an operator missing, key groups changed, a bad manifest). */
export class StateRestoreError extends Error {
  constructor (message = 'The saved state cannot be restored into this job', options?: ErrorOptions) {
    super(message, options)
    this.name = 'StateRestoreError'
  }
}

/** A checkpoint did not complete (timed out, declined by a task, or superseded); the job runs on. */
export class CheckpointAbortedError extends Error {
  readonly checkpointId: number
  constructor (checkpointId: number, reason: string, options?: ErrorOptions) {
    super(`Checkpoint ${checkpointId} was aborted: ${reason}`, options)
    this.name = 'CheckpointAbortedError'
    this.checkpointId = checkpointId
  }
}

/** A dataset source or sink runs where there are no datasets (a job run without a peer). */
export class DatasetUnavailableError extends Error {
  constructor (dataset: string, options?: ErrorOptions) {
    super(`Dataset '${dataset}' cannot be reached here: datasets live in a peer's store (run the job with meshflow run, env.execute(), or on a mesh)`, options)
    this.name = 'DatasetUnavailableError'
  }
}

/** A blocking exchange of a batch job could not store or read its result blocks. */
export class BlockingResultError extends Error {
  constructor (message = 'A blocking exchange failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'BlockingResultError'
  }
}

/**
 * A source reader that reports splits (`SourceReader.lastSplitId`) returned records without
 * naming their split: a fault of the connector; a retry does not help.
 */
export class UnreportedSplitError extends Error {
  constructor (records: number, options?: ErrorOptions) {
    super(`The source reader returned ${records} records without naming their split: lastSplitId() returned undefined`, options)
    this.name = 'UnreportedSplitError'
  }
}

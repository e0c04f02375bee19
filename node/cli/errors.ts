/**
 * Errors of the `meshflow` command. Each carries the exit code the command ends with, so
 * `main` turns any of them into one line on stderr and that code. Match on `err.name`.
 */

/** Exit code of a wrong command line (unknown flag, missing or invalid value). */
export const EXIT_USAGE = 2
/** Exit code of a job that could not be loaded, built or run, or of a peer or mesh that failed. */
export const EXIT_FAILURE = 1
/** Exit code after SIGINT cancelled the job (128 + signal number, as shells report it). */
export const EXIT_INTERRUPTED = 130

/** The command line is wrong: names the flag, argument or command at fault. */
export class UsageError extends Error {
  readonly exitCode: number = EXIT_USAGE
  constructor (message = 'Invalid command line', options?: ErrorOptions) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/**
 * The command or flag exists in DESIGN §7 but this version cannot carry it out yet (the
 * job commands on a mesh). `what` leads the message, e.g. `Cannot run 'meshflow jobs'`;
 * `instead` says what works today.
 */
export class NotAvailableError extends UsageError {
  constructor (what = 'Cannot do this', instead = "'meshflow run JOB.ts' runs a job in this process, on an embedded mesh of one", options?: ErrorOptions) {
    super(`${what}: not available in this version (${instead})`, options)
    this.name = 'NotAvailableError'
  }
}

/** `meshflow status` could not reach the peer it was given, or the peer did not answer. */
export class MeshConnectError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (mesh: string, reason: string, options?: ErrorOptions) {
    super(`Cannot reach the mesh at ${mesh}: ${reason}`, options)
    this.name = 'MeshConnectError'
  }
}

/** `meshflow node` could not start its peer: the store, the key, an address or the API port. */
export class PeerStartError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (message = 'Cannot start the peer', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerStartError'
  }
}

/** `meshflow keygen --out FILE` cannot write FILE (it exists, or the directory is not writable). */
export class KeygenError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (message = 'Cannot write the pre-shared key', options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeygenError'
  }
}

/** The user interrupted the command (SIGINT, SIGTERM); the exit code is 128 + signal number. */
export class InterruptedError extends Error {
  readonly exitCode: number
  readonly signalName: string
  constructor (signalName: 'SIGINT' | 'SIGTERM', options?: ErrorOptions) {
    super(`Interrupted by ${signalName}`, options)
    this.name = 'InterruptedError'
    this.signalName = signalName
    this.exitCode = signalName === 'SIGINT' ? EXIT_INTERRUPTED : 143
  }
}

/** The job module is missing, fails to import, or does not default-export `defineJob(...)`. */
export class JobLoadError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (message = 'Cannot load the job', options?: ErrorOptions) {
    super(message, options)
    this.name = 'JobLoadError'
  }
}

/** `meshflow dataset import` will not run: its input does not fit the dataset (names the column), or cannot be typed. */
export class ImportRefusedError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (message = 'The import was refused', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ImportRefusedError'
  }
}

/** A dataset import or export job failed or was cancelled; nothing of it became visible. */
export class DatasetJobError extends Error {
  readonly exitCode: number = EXIT_FAILURE
  constructor (message = 'The dataset job failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatasetJobError'
  }
}

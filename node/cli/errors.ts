/**
 * Errors of the `meshflow` command. Each carries the exit code the command ends with, so
 * `main` turns any of them into one line on stderr and that code. Match on `err.name`.
 */

/** Exit code of a wrong command line (unknown flag, missing or invalid value). */
export const EXIT_USAGE = 2
/** Exit code of a job that could not be loaded, built or run. */
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
 * The command needs a mesh of peers, which this version does not have yet: only
 * `meshflow run` without `--mesh` (the embedded runtime) works. `what` leads the message,
 * e.g. `Cannot run 'meshflow node'` or `Cannot use --mesh`.
 */
export class MeshUnavailableError extends UsageError {
  constructor (what = 'Cannot reach a mesh', options?: ErrorOptions) {
    super(`${what}: the mesh is not available in this version (only 'meshflow run JOB.ts' without --mesh works, on the embedded runtime)`, options)
    this.name = 'MeshUnavailableError'
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

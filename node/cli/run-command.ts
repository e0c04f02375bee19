/**
 * `meshflow run JOB.ts`: with `--mesh` (or `MESHFLOW_MESH`) the job is submitted to that
 * mesh (mesh-run-command.ts); without, it runs on an embedded mesh of one in this process
 * (embedded-run.ts) — the same JobManager and TaskManager code either way. The job's own
 * output (print sinks) goes to stdout, one summary line to stderr.
 *
 * A failure in the job — while building or while running — is a JobExecutionError
 * (`Job 'x' failed: Operator 'parse' (uid p1) failed: boom`); an interrupt (`io.signal`)
 * cancels the job, which then rejects with a JobCancelledError. Neither prints anything:
 * `main` turns errors into the one line the user sees and the exit code.
 *
 * @example
 * await runCommand(parseCommandLine(['run', 'job.ts']) as RunCommand, io)
 */
import type { CliIo } from './cli-io.ts'
import type { RunCommand } from './command-line.ts'
import { UsageError } from './errors.ts'

/** Runs the job; resolves with the exit code (0) or throws the error to report. */
export async function runCommand (command: RunCommand, io: CliIo): Promise<number> {
  const fromEnv = io.env.MESHFLOW_MESH
  if (command.mesh !== undefined || (fromEnv !== undefined && fromEnv !== '')) {
    const embeddedOnly = command.resume ? '--resume' : command.listen.length > 0 ? '--listen' : command.dataDir !== undefined ? '--data-dir' : command.api !== undefined ? '--api' : command.threads !== undefined ? '--threads' : command.taskMemory !== undefined ? '--task-memory' : undefined
    if (embeddedOnly !== undefined) throw new UsageError(`${embeddedOnly} is for an embedded run (without --mesh): a mesh keeps its own data`)
    const { meshRunCommand } = await import('./mesh-run-command.ts')
    return await meshRunCommand(command, io)
  }
  const { embeddedRun } = await import('./embedded-run.ts')
  return await embeddedRun(command, io)
}

/**
 * `meshflow run JOB.ts` on the embedded runtime: loads the job module, builds it on a
 * fresh StreamEnvironment with the job arguments, runs it in this process and reports one
 * summary line on stderr. The job's own output (print sinks) goes to stdout.
 *
 * A failure in the job — while building or while running — is a JobExecutionError
 * (`Job 'x' failed: Operator 'parse' (uid p1) failed: boom`); an interrupt (`io.signal`)
 * cancels the job, which then rejects with a JobCancelledError. Neither prints anything:
 * `main` turns errors into the one line the user sees and the exit code.
 *
 * @example
 * await runCommand(parseCommandLine(['run', 'job.ts']) as RunCommand, io)
 */
import { JobCancelledError, JobExecutionError, StreamEnvironment, type JobExecutionResult } from '../index.ts'
import type { CliIo } from './cli-io.ts'
import type { RunCommand } from './command-line.ts'
import { UsageError } from './errors.ts'
import { parseJobArgs } from './job-args.ts'
import { loadJob } from './job-loader.ts'

/** Rejects the flags the embedded runtime cannot honour, before anything is loaded. */
function checkEmbedded (command: RunCommand, io: CliIo): void {
  if (command.psk !== undefined) throw new UsageError('--psk needs --mesh: it is the key of the mesh a job is submitted to')
  if (command.detach) throw new UsageError('--detach needs --mesh: without a mesh the job runs in this process until it ends')
  if (command.fromSavepoint !== undefined) throw new UsageError('--from-savepoint needs --mesh (savepoints are stored in a mesh)')
  const { parallelism, maxParallelism } = command
  if (parallelism !== undefined && maxParallelism !== undefined && parallelism > maxParallelism) {
    throw new UsageError(`--parallelism ${parallelism} is larger than --max-parallelism ${maxParallelism}`)
  }
}

/** Records read by the job's sources: the records-in of every source subtask. */
function sourceRecords (result: JobExecutionResult): number {
  let n = 0
  for (const t of result.tasks) if (t.source) n += t.recordsIn
  return n
}

/** Runs the job; resolves with the exit code (0) or throws the error to report. */
export async function runCommand (command: RunCommand, io: CliIo): Promise<number> {
  const fromEnv = io.env.MESHFLOW_MESH
  if (command.mesh !== undefined || (fromEnv !== undefined && fromEnv !== '')) {
    const { meshRunCommand } = await import('./mesh-run-command.ts')
    return await meshRunCommand(command, io)
  }
  checkEmbedded(command, io)
  const args = parseJobArgs(command.jobArgs)
  const { job, name } = await loadJob(command.job, io.cwd)
  io.signal?.throwIfAborted()

  const env = StreamEnvironment.create({
    ...(command.parallelism === undefined ? {} : { parallelism: command.parallelism }),
    ...(command.maxParallelism === undefined ? {} : { maxParallelism: command.maxParallelism })
  })
  let result: JobExecutionResult
  try {
    await job.build(env, args)
    result = await env.execute(name, io.signal === undefined ? {} : { signal: io.signal })
  } catch (err) {
    if (err instanceof JobExecutionError || err instanceof JobCancelledError) throw err
    // a mistake in build() or in the pipeline it declared (JobDefinitionError …)
    throw new JobExecutionError(name, err)
  }
  const ms = Math.round(result.netRuntimeMs)
  io.stderr.write(`meshflow: Job '${name}' finished in ${ms} ms (${sourceRecords(result)} source records)\n`)
  return 0
}

/**
 * `meshflow run JOB.ts --mesh MA [--parallelism N] [--from-savepoint NAME
 * [--allow-non-restored-state]] [--detach] [-- job args]`: bundles the job, submits it
 * through the peer at MA (restoring its state from the savepoint NAME) and, unless
 * `--detach`, waits for it to end.
 * `--detach` prints the job id alone on stdout and returns. Without it a summary line goes
 * to stderr and the exit code says how the job ended (0 finished, 1 failed or cancelled);
 * Ctrl-C cancels the job on the mesh.
 */
import type { CliIo } from './cli-io.ts'
import type { RunCommand } from './command-line.ts'
import { UsageError } from './errors.ts'
import { parseJobArgs } from './job-args.ts'
import { jobNameOf } from './job-loader.ts'
import { connectMesh } from './mesh-client-connect.ts'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export async function meshRunCommand (command: RunCommand, io: CliIo): Promise<number> {
  const { parallelism, maxParallelism } = command
  if (parallelism !== undefined && maxParallelism !== undefined && parallelism > maxParallelism) {
    throw new UsageError(`--parallelism ${parallelism} is larger than --max-parallelism ${maxParallelism}`)
  }
  const args = parseJobArgs(command.jobArgs)
  const path = resolve(io.cwd, command.job)
  if (!existsSync(path)) throw new UsageError(`Job file not found: ${command.job}`)
  const name = jobNameOf(command.job)
  const { client } = await connectMesh(command, io, 'run')
  try {
    const started = performance.now()
    const jobId = await client.submit(path, {
      name,
      parallelism: parallelism ?? 1,
      ...(maxParallelism === undefined ? {} : { maxParallelism }),
      ...(command.fromSavepoint === undefined ? {} : { fromSavepoint: command.fromSavepoint, allowNonRestoredState: command.allowNonRestoredState }),
      args: Object.fromEntries(Object.entries(args).filter((e): e is [string, string] => e[1] !== undefined)),
      ...(io.signal === undefined ? {} : { signal: io.signal })
    })
    if (command.detach) {
      io.stdout.write(jobId + '\n')
      return 0
    }
    io.stderr.write(`meshflow: Job '${name}' submitted as ${jobId}\n`)
    const onInterrupt = (): void => { void client.cancel(jobId).catch(() => {}) }
    io.signal?.addEventListener('abort', onInterrupt, { once: true })
    try {
      const result = await client.awaitJob(jobId, io.signal === undefined ? {} : { signal: io.signal })
      const ms = Math.round(performance.now() - started)
      if (result.state === 'FINISHED') {
        io.stderr.write(`meshflow: Job '${name}' (${jobId}) finished in ${ms} ms\n`)
        return 0
      }
      throw new Error(result.state === 'CANCELED' ? `Job '${name}' (${jobId}) was cancelled` : `Job '${name}' (${jobId}) failed: ${result.error ?? 'unknown error'}`)
    } finally {
      io.signal?.removeEventListener('abort', onInterrupt)
    }
  } finally {
    await client.close()
  }
}

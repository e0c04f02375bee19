/**
 * The `meshflow` command: parses the command line, runs the command, and turns every
 * outcome into an exit code. It owns what the user sees on stderr: one line per error,
 * `meshflow: <message>`, never a stack trace unless MESHFLOW_DEBUG is set.
 *
 * Exit codes: 0 done, 1 the job (or its module), the peer or the mesh failed, 2 wrong
 * command line, 130 / 143 interrupted by
 * SIGINT / SIGTERM (`meshflow node` stops gracefully and exits 0).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout,
 *   stderr: process.stderr, cwd: process.cwd(), env: process.env })
 */
import type { CliIo } from './cli-io.ts'
import { debugEnabled } from './cli-io.ts'
import { parseCommandLine, type Command } from './command-line.ts'
import { EXIT_FAILURE, InterruptedError } from './errors.ts'
import { usageOf } from './usage.ts'
import { packageVersion } from './version.ts'
import { errorMessage } from '../../protocol/error-message.ts'

// Each command loads its module when it runs: `meshflow node` must not pay for the job
// runtime, nor `meshflow run` for libp2p.
async function dispatch (command: Command, io: CliIo): Promise<number> {
  switch (command.type) {
    case 'help':
      io.stdout.write(usageOf(command.topic) + '\n')
      return 0
    case 'version':
      io.stdout.write(packageVersion() + '\n')
      return 0
    case 'run': {
      const { runCommand } = await import('./run-command.ts')
      return await runCommand(command, io)
    }
    case 'node': {
      const { nodeCommand } = await import('./node-command.ts')
      return await nodeCommand(command, io)
    }
    case 'status': {
      const { statusCommand } = await import('./status-command.ts')
      return await statusCommand(command, io)
    }
    case 'jobs': {
      const { jobsCommand } = await import('./jobs-command.ts')
      return await jobsCommand(command, io)
    }
    case 'cancel': {
      const { cancelCommand } = await import('./cancel-command.ts')
      return await cancelCommand(command, io)
    }
    case 'savepoints': {
      const { savepointsCommand } = await import('./savepoints-command.ts')
      return await savepointsCommand(command, io)
    }
    case 'savepoint':
    case 'stop':
    case 'delete-savepoint': {
      const { savepointCommand } = await import('./savepoint-command.ts')
      return await savepointCommand(command, io)
    }
    case 'keygen': {
      const { keygenCommand } = await import('./keygen-command.ts')
      return await keygenCommand(command, io)
    }
    case 'datasets':
    case 'dataset-import':
    case 'dataset-show':
    case 'dataset-export':
    case 'dataset-rm': {
      const { datasetCommand } = await import('./dataset-commands.ts')
      return await datasetCommand(command, io)
    }
    case 'sql': {
      const { sqlCommand } = await import('./sql-command.ts')
      return await sqlCommand(command, io)
    }
  }
}

/** The message of an error and of its causes, as one line. */
function oneLine (err: unknown): string {
  const text = errorMessage(err)
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** The error with its stack and the stacks of its causes (MESHFLOW_DEBUG). */
function withStacks (err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))
    e = e instanceof Error ? e.cause : undefined
    if (e !== undefined) parts.push('Caused by:')
  }
  return parts.join('\n')
}

function exitCodeOf (err: unknown, io: CliIo): number {
  const reason: unknown = io.signal?.aborted === true ? io.signal.reason : undefined
  if (reason instanceof InterruptedError) return reason.exitCode
  const code: unknown = err instanceof Error ? (err as Error & { exitCode?: unknown }).exitCode : undefined
  return typeof code === 'number' ? code : EXIT_FAILURE
}

/** Runs `meshflow <argv>`; resolves with the process exit code and never rejects. */
export async function main (argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(parseCommandLine(argv), io)
  } catch (err) {
    const code = exitCodeOf(err, io)
    io.stderr.write(`meshflow: ${oneLine(err)}\n`)
    if (debugEnabled(io)) io.stderr.write(withStacks(err) + '\n')
    return code
  }
}

/**
 * The `meshflow` command line as a library: `main(argv, io)` is what the `meshflow`
 * executable (bin.ts) runs; the parsers are exported for tools that wrap it.
 *
 * @example
 * import { main } from './node/cli/index.ts'
 * const code = await main(['run', 'examples/retail-sales/job.ts', '--', '--count', '1000'],
 *   { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env })
 */
export { main } from './main.ts'
export { parseArgs, type FlagSpec, type FlagSpecs, type ParsedArgs } from './args.ts'
export {
  parseCommandLine, type Command, type RunCommand, type NodeCommand, type QueryCommand, type JobControlCommand, type DeleteSavepointCommand,
  type KeygenCommand
} from './command-line.ts'
export { parseJobArgs } from './job-args.ts'
export { loadJob, jobNameOf, type LoadedJob } from './job-loader.ts'
export { runCommand } from './run-command.ts'
export { nodeCommand } from './node-command.ts'
export { statusCommand } from './status-command.ts'
export { keygenCommand } from './keygen-command.ts'
export { formatStatus, statusJson, type StatusJson } from './format-status.ts'
export { formatJobs, jobJson } from './format-jobs.ts'
export { formatSavepoints } from './savepoints-command.ts'
export { formatTable } from './format-table.ts'
export type { CliIo } from './cli-io.ts'
export { USAGE, usageOf } from './usage.ts'
export { UsageError, NotAvailableError, MeshConnectError, PeerStartError, KeygenError, JobLoadError, InterruptedError, EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED } from './errors.ts'

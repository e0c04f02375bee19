/**
 * `meshflow jobs [--mesh MA] [--json] [--psk FILE]`: the jobs of the mesh. `--json` prints
 * `[{ "id", "name", "state", "restarts", "tasks": [{ "vertex", "subtask", "peer" }] }]`
 * (DESIGN §7; a failed job also has "error", a job with checkpoints "checkpoints" and
 * "restoreHistory"); without it, a table (see `format-jobs.ts`).
 */
import type { CliIo } from './cli-io.ts'
import type { QueryCommand } from './command-line.ts'
import { formatJobs } from './format-jobs.ts'
import { connectMesh } from './mesh-client-connect.ts'

export async function jobsCommand (command: QueryCommand, io: CliIo): Promise<number> {
  const { client } = await connectMesh(command, io, 'jobs')
  try {
    const jobs = await client.jobs({ signal: io.signal ?? AbortSignal.timeout(10_000) })
    io.stdout.write(formatJobs(jobs, command.json))
    return 0
  } finally {
    await client.close()
  }
}

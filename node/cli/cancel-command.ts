/**
 * `meshflow cancel JOB_ID [--mesh MA] [--psk FILE]`: cancels a job through the JobManager
 * and prints the job's state.
 */
import type { CliIo } from './cli-io.ts'
import type { JobControlCommand } from './command-line.ts'
import { connectMesh } from './mesh-client-connect.ts'

export async function cancelCommand (command: JobControlCommand, io: CliIo): Promise<number> {
  const { client } = await connectMesh(command, io, 'cancel')
  try {
    const state = await client.cancel(command.jobId, { signal: io.signal ?? AbortSignal.timeout(10_000) })
    io.stdout.write(`${command.jobId} ${state}\n`)
    return 0
  } finally {
    await client.close()
  }
}

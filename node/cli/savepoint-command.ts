/**
 * `meshflow savepoint JOB_ID NAME`, `meshflow stop JOB_ID --savepoint NAME [--drain]` and
 * `meshflow savepoint --delete NAME`: take a savepoint of a running job (and stop it), or
 * delete one, through the JobManager. Prints one line per outcome on stdout:
 *
 *   savepoint before-v2 of job 3f9c…: checkpoint 12, cid bafkrei…
 *   job 3f9c… stopped
 *   deleted savepoint before-v2
 */
import type { CliIo } from './cli-io.ts'
import type { DeleteSavepointCommand, JobControlCommand } from './command-line.ts'
import { connectMesh } from './mesh-client-connect.ts'
import { SAVEPOINT_TIMEOUT_MS } from '../cluster/mesh-client.ts'

/** Runs `savepoint`, `stop` or `savepoint --delete`; resolves with the exit code. */
export async function savepointCommand (command: JobControlCommand | DeleteSavepointCommand, io: CliIo): Promise<number> {
  const what = command.type === 'delete-savepoint' ? 'savepoint' : command.type
  const { client } = await connectMesh(command, io, what)
  try {
    if (command.type === 'delete-savepoint') {
      await client.deleteSavepoint(command.savepoint, { signal: io.signal ?? AbortSignal.timeout(10_000) })
      io.stdout.write(`deleted savepoint ${command.savepoint}\n`)
      return 0
    }
    const name = command.savepoint ?? ''
    const stop = command.type === 'stop' ? (command.drain ? 'drain' : 'no-drain') : undefined
    // a savepoint waits for every subtask (and a drain for every window): minutes, not seconds
    const timeout = AbortSignal.timeout(SAVEPOINT_TIMEOUT_MS)
    let result
    try {
      result = await client.savepoint(command.jobId, name, {
        ...(stop === undefined ? {} : { stop }),
        signal: io.signal === undefined ? timeout : AbortSignal.any([io.signal, timeout])
      })
    } catch (err) {
      if (!timeout.aborted || io.signal?.aborted === true) throw err
      throw new Error(`No answer to savepoint '${name}' within ${SAVEPOINT_TIMEOUT_MS / 60_000} minutes; it may still complete (see meshflow savepoints)`, { cause: err })
    }
    io.stdout.write(`savepoint ${result.name} of job ${result.jobId}: checkpoint ${result.checkpointId}, cid ${result.cid}\n`)
    if (command.type === 'stop') io.stdout.write(`job ${result.jobId} stopped${command.drain ? ' (drained)' : ''}\n`)
    return 0
  } finally {
    await client.close()
  }
}

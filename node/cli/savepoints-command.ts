/**
 * `meshflow savepoints [--mesh MA] [--json] [--psk FILE]`: the savepoints of the mesh.
 * `--json` prints `[{ "name", "jobId", "jobName", "checkpointId", "cid", "createdAt" }]`
 * (createdAt in epoch milliseconds); without it, a table with the creation time in UTC.
 */
import type { SavepointInfo } from '../../protocol/client.ts'
import type { CliIo } from './cli-io.ts'
import type { QueryCommand } from './command-line.ts'
import { connectMesh } from './mesh-client-connect.ts'
import { formatTable } from './format-table.ts'

/** Lists the savepoints; resolves with the exit code. */
export async function savepointsCommand (command: QueryCommand, io: CliIo): Promise<number> {
  const { client } = await connectMesh(command, io, 'savepoints')
  try {
    const savepoints = await client.savepoints({ signal: io.signal ?? AbortSignal.timeout(10_000) })
    io.stdout.write(formatSavepoints(savepoints, command.json))
    return 0
  } finally {
    await client.close()
  }
}

/**
 * The output of `meshflow savepoints`: the JSON array (`json`), or a table sorted by
 * creation time, or `no savepoints`.
 */
export function formatSavepoints (savepoints: readonly SavepointInfo[], json: boolean): string {
  if (json) {
    return JSON.stringify(savepoints.map(s => ({
      name: s.name, jobId: s.jobId, jobName: s.jobName, checkpointId: s.checkpointId, cid: s.cid, createdAt: s.createdAt
    }))) + '\n'
  }
  if (savepoints.length === 0) return 'no savepoints\n'
  const sorted = [...savepoints].sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
  return formatTable(['NAME', 'JOB', 'JOB NAME', 'CHECKPOINT', 'CREATED'],
    sorted.map(s => [s.name, s.jobId, s.jobName, String(s.checkpointId), utcTime(s.createdAt)]))
}

/** An epoch-ms time as `2026-11-24 09:08:48 UTC` (the same on every machine). */
export function utcTime (ms: number): string {
  const date = new Date(ms)
  if (Number.isNaN(date.getTime())) return String(ms)
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')
}

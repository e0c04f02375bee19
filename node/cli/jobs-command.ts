/**
 * `meshflow jobs [--mesh MA] [--json] [--psk FILE]`: the jobs of the mesh. `--json` prints
 * `[{ "id", "name", "state", "restarts", "tasks": [{ "vertex", "subtask", "peer" }] }]`
 * (DESIGN §7; a failed job also has "error"); without it, a table.
 */
import type { CliIo } from './cli-io.ts'
import type { QueryCommand } from './command-line.ts'
import { connectMesh } from './mesh-client-connect.ts'

export async function jobsCommand (command: QueryCommand, io: CliIo): Promise<number> {
  const { client } = await connectMesh(command, io, 'jobs')
  try {
    const jobs = await client.jobs({ signal: io.signal ?? AbortSignal.timeout(10_000) })
    if (command.json) {
      io.stdout.write(JSON.stringify(jobs.map(j => ({
        id: j.id, name: j.name, state: j.state, restarts: j.restarts,
        tasks: j.tasks.map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer })),
        ...(j.error === undefined ? {} : { error: j.error })
      }))) + '\n')
      return 0
    }
    if (jobs.length === 0) {
      io.stdout.write('no jobs\n')
      return 0
    }
    const rows = jobs.map(j => [j.id, j.name, j.state, String(j.restarts), `${j.tasks.length} on ${new Set(j.tasks.map(t => t.peer)).size} peer(s)`])
    const head = ['ID', 'NAME', 'STATE', 'RESTARTS', 'TASKS']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n'
    io.stdout.write(line(head) + rows.map(line).join(''))
    for (const j of jobs) if (j.error !== undefined) io.stdout.write(`${j.id}: ${j.error.split('\n')[0]}\n`)
    return 0
  } finally {
    await client.close()
  }
}

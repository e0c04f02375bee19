/**
 * What `meshflow jobs` prints: the JSON of DESIGN §7 (`--json`) with each job's error,
 * checkpoints and restore history when it has them (and a dataset scan's tasks their
 * `partitions` and whether they were placed on a replica of them, `local`), or a table with a line per failed job
 * and per restarted job saying which checkpoint each attempt restored.
 *
 * @example
 * io.stdout.write(formatJobs(await client.jobs(), command.json))
 */
import type { JobInfo, RestoreInfo } from '../../protocol/client.ts'
import { formatTable } from './format-table.ts'

/** The attempts a restart line shows (the latest ones). */
const SHOWN_ATTEMPTS = 5

/** One job as `jobs --json` prints it: the fields of DESIGN §7 first, in their documented order. */
export function jobJson (j: JobInfo): Record<string, unknown> {
  return {
    id: j.id,
    name: j.name,
    state: j.state,
    restarts: j.restarts,
    tasks: j.tasks.map(t => ({ vertex: t.vertex, subtask: t.subtask, peer: t.peer, ...(t.partitions === undefined ? {} : { partitions: [...t.partitions] }), ...(t.local === undefined ? {} : { local: t.local }) })),
    ...(j.error === undefined ? {} : { error: j.error }),
    ...(j.checkpoints === undefined
      ? {}
      : {
          checkpoints: {
            completed: j.checkpoints.completed,
            ...(j.checkpoints.latest === undefined ? {} : { latest: { id: j.checkpoints.latest.id, cid: j.checkpoints.latest.cid, at: j.checkpoints.latest.at } })
          }
        }),
    ...(j.restoreHistory === undefined ? {} : { restoreHistory: j.restoreHistory.map(r => ({ attempt: r.attempt, checkpointId: r.checkpointId, at: r.at })) }),
    // a batch job's progress: stages and regions total/done/running, re-runs, records read and written
    ...(j.batch === undefined ? {} : { batch: { stages: { ...j.batch.stages }, regions: { ...j.batch.regions }, reruns: j.batch.reruns, recordsRead: j.batch.recordsRead, recordsWritten: j.batch.recordsWritten } })
  }
}


/** `6 on 3 peer(s)`, and for a job that scans datasets `, scans 4/4 local` (scan tasks placed on a replica of all they read). */
function tasksCell (j: JobInfo): string {
  const cell = `${j.tasks.length} on ${new Set(j.tasks.map(t => t.peer)).size} peer(s)`
  const scans = j.tasks.filter(t => t.partitions !== undefined)
  return scans.length === 0 ? cell : `${cell}, scans ${scans.filter(t => t.local === true).length}/${scans.length} local`
}

/** `12 (7 done)`, or `-` before the first completed checkpoint. */
function checkpointCell (j: JobInfo): string {
  const latest = j.checkpoints?.latest
  if (latest === undefined) return '-'
  return `${latest.id} (${j.checkpoints!.completed} done)`
}

/**
 * `job-1 attempts: 1 from checkpoint 4, 2 from no checkpoint` for a job that restarted or
 * started from a savepoint; undefined for a job that simply started.
 */
export function restoreLine (id: string, history: readonly RestoreInfo[]): string | undefined {
  if (!history.some(r => r.attempt > 0 || r.checkpointId !== null)) return undefined
  const shown = history.slice(-SHOWN_ATTEMPTS).map(r => `${r.attempt} from ${r.checkpointId === null ? 'no checkpoint' : `checkpoint ${r.checkpointId}`}`)
  const earlier = history.length - SHOWN_ATTEMPTS
  return `${id} attempts: ${earlier > 0 ? `(${earlier} earlier) ` : ''}${shown.join(', ')}`
}

/** The output of `meshflow jobs`: the JSON array (`json`), a table, or `no jobs`. */
export function formatJobs (jobs: readonly JobInfo[], json: boolean): string {
  if (json) return JSON.stringify(jobs.map(jobJson)) + '\n'
  if (jobs.length === 0) return 'no jobs\n'
  const rows = jobs.map(j => [j.id, j.name, j.state, String(j.restarts), tasksCell(j), checkpointCell(j)])
  let out = formatTable(['ID', 'NAME', 'STATE', 'RESTARTS', 'TASKS', 'CHECKPOINT'], rows)
  for (const j of jobs) {
    const line = j.restoreHistory === undefined ? undefined : restoreLine(j.id, j.restoreHistory)
    if (line !== undefined) out += line + '\n'
  }
  for (const j of jobs) if (j.error !== undefined) out += `${j.id}: ${j.error.split('\n')[0]}\n`
  return out
}

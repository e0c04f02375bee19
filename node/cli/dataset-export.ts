/**
 * `meshflow dataset export NAME DIR --format csv|jsonl|parquet [--parallelism N]`: writes
 * the rows of the dataset's latest version into DIR as part files, by a batch job
 * (jobs/export-job.ts) rather than through the client: the scan runs where the partitions'
 * replicas are and in parallel, the same on a mesh as embedded, and the client protocol
 * never carries the data. DIR must be new or empty; on a mesh it must be a directory the
 * peers running the job can write (a shared file system).
 */
import { mkdir, readdir, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CliIo } from './cli-io.ts'
import { showOrExplain } from './dataset-commands.ts'
import type { DatasetExportCommand } from './dataset-command-line.ts'
import { openDatasetTarget } from './dataset-target.ts'
import { DatasetJobError, UsageError } from './errors.ts'
import { humanBytes } from './format-datasets.ts'
import { userMessage, withoutOperator } from './dataset-import.ts'
import type { ExportSpec } from './jobs/export-job.ts'

/** Default parallelism: one subtask per partition, at most this many. */
const MAX_DEFAULT_PARALLELISM = 8

/** Runs the export; resolves with the exit code (0) or throws the error to report. */
export async function datasetExport (command: DatasetExportCommand, io: CliIo): Promise<number> {
  const dir = resolve(io.cwd, command.dir)
  const info = await stat(dir).catch(() => undefined)
  if (info !== undefined && !info.isDirectory()) throw new UsageError(`DIR ${command.dir} is not a directory`)
  if (info !== undefined && (await readdir(dir)).length > 0) throw new UsageError(`DIR ${command.dir} is not empty: export into a new or empty directory`)
  const target = await openDatasetTarget(command, io, 'dataset export')
  try {
    const detail = await showOrExplain(target, command.name)
    await mkdir(dir, { recursive: true })
    const spec: ExportSpec = { dataset: command.name, dir, format: command.format, schema: detail.schema }
    const parallelism = command.parallelism ?? Math.max(1, Math.min(MAX_DEFAULT_PARALLELISM, detail.partitions.length))
    const started = performance.now()
    const jobId = await target.submit(fileURLToPath(new URL('./jobs/export-job.ts', import.meta.url)), {
      name: `export-${command.name}`,
      parallelism,
      args: { spec: JSON.stringify(spec) }
    })
    const onInterrupt = (): void => { void target.cancel(jobId) }
    io.signal?.addEventListener('abort', onInterrupt, { once: true })
    let result
    try {
      result = await target.awaitJob(jobId)
    } finally {
      io.signal?.removeEventListener('abort', onInterrupt)
    }
    if (result.state !== 'FINISHED') {
      const why = result.state === 'CANCELED' ? 'it was cancelled' : userMessage(target.localFailure(jobId)) ?? withoutOperator(result.error ?? 'unknown error')
      throw new DatasetJobError(`Export of dataset '${command.name}' failed: ${why}`)
    }
    const files = (await readdir(dir)).filter(n => !n.startsWith('.') && !n.startsWith('_'))
    let bytes = 0
    for (const f of files) bytes += (await stat(resolve(dir, f))).size
    const seconds = (performance.now() - started) / 1000
    io.stdout.write(`exported ${detail.rows} rows of dataset '${command.name}' version ${detail.version} into ${command.dir}: ${files.length} ${command.format} file${files.length === 1 ? '' : 's'}, ${humanBytes(bytes)}, ${seconds.toFixed(2)} s\n`)
    return 0
  } finally {
    await target.close()
  }
}

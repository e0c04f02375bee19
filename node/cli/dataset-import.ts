/**
 * `meshflow dataset import NAME FILE|DIR... --format csv|jsonl|parquet [--partition-by COL]
 * [--partitions N] [--schema col:type,...] [--mode append|overwrite] [--dead-letter FILE]
 * [--parallelism N]`: imports files into a dataset as a parallel job (jobs/import-job.ts)
 * on the embedded peer or a mesh. The schema is settled first (import-schema.ts), so an
 * import that does not fit the dataset is refused before any work; the job commits one new
 * version at its end, or nothing when it fails. Ends with one line on stdout: rows and
 * bytes imported and the version.
 *
 * On a mesh, the files are read by the peers running the job: give paths they can all
 * read (a shared file system), as with any file source.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { listInputFiles } from '../../connectors/files/index.ts'
import type { DatasetDetail } from '../../protocol/client-datasets.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { CliIo } from './cli-io.ts'
import type { DatasetImportCommand } from './dataset-command-line.ts'
import { isNotFound, openDatasetTarget, type DatasetTarget } from './dataset-target.ts'
import { DatasetJobError, ImportRefusedError, UsageError } from './errors.ts'
import { humanBytes } from './format-datasets.ts'
import { ImportProgress, processBytesRead } from './import-progress.ts'
import { importSchema } from './import-schema.ts'
import type { ImportSpec } from './jobs/import-job.ts'

/** Default parallelism: the free slots, at most this many. */
const MAX_DEFAULT_PARALLELISM = 8

/** Runs the import; resolves with the exit code (0) or throws the error to report. */
export async function datasetImport (command: DatasetImportCommand, io: CliIo): Promise<number> {
  const { files, totalBytes } = await inputFiles(command, io)
  const deadLetter = command.deadLetter === undefined ? undefined : resolve(io.cwd, command.deadLetter)
  if (deadLetter !== undefined) await checkDeadLetterFile(deadLetter, command.deadLetter!)
  const target = await openDatasetTarget(command, io, 'dataset import')
  const deadLetterDir = deadLetter === undefined ? undefined : join(dirname(deadLetter), `.${basename(deadLetter)}.parts-${randomBytes(4).toString('hex')}`)
  try {
    const before = await target.showDataset(command.name).catch(err => {
      if (isNotFound(err)) return undefined
      throw err
    })
    const schema = await importSchema({ format: command.format, files, given: command.schema, dataset: command.name, existing: before?.schema })
    checkPartitioning(command, schema, before)
    const parallelism = command.parallelism ?? Math.max(1, Math.min(MAX_DEFAULT_PARALLELISM, await target.freeSlots()))
    const spec: ImportSpec = {
      dataset: command.name,
      paths: command.files.map(f => resolve(io.cwd, f)),
      format: command.format,
      schema,
      mode: command.mode,
      ...(command.partitionBy === undefined ? {} : { partitionBy: command.partitionBy }),
      ...(command.partitions === undefined ? {} : { partitions: command.partitions }),
      ...(deadLetterDir === undefined ? {} : { deadLetterDir }),
      ...splitBytesOf(io)
    }
    const started = performance.now()
    const progress = new ImportProgress({
      stream: io.stderr,
      label: `importing ${command.name}`,
      totalBytes,
      measureBytes: target.embedded && command.format !== 'parquet' ? processBytesRead : undefined
    })
    progress.start()
    let result: { state: string, error: string | undefined }
    let jobId: string
    try {
      jobId = await target.submit(fileURLToPath(new URL('./jobs/import-job.ts', import.meta.url)), {
        name: `import-${command.name}`,
        parallelism,
        args: { spec: JSON.stringify(spec) }
      })
      result = await awaitJob(target, jobId, io)
    } finally {
      progress.stop()
    }
    if (result.state !== 'FINISHED') {
      const why = result.state === 'CANCELED' ? 'it was cancelled' : userMessage(target.localFailure(jobId)) ?? withoutOperator(result.error ?? 'unknown error')
      throw new DatasetJobError(`Import into dataset '${command.name}' failed, nothing was imported: ${why}`)
    }
    const after = await target.showDataset(command.name)
    const seconds = (performance.now() - started) / 1000
    const rows = after.rows - (command.mode === 'append' ? (before?.rows ?? 0) : 0)
    const stored = after.bytes - (command.mode === 'append' ? (before?.bytes ?? 0) : 0)
    let line = `imported ${rows} rows (${humanBytes(totalBytes)} of ${command.format}) into dataset '${command.name}' version ${after.version}: ` +
      `${humanBytes(stored)} stored in ${after.partitions.length} partitions, ${seconds.toFixed(2)} s (${Math.round(rows / Math.max(seconds, 1e-3))} rows/s)`
    if (deadLetter !== undefined && deadLetterDir !== undefined) {
      const bad = await gatherDeadLetters(deadLetterDir, deadLetter)
      line += `, ${bad} malformed line${bad === 1 ? '' : 's'} in ${command.deadLetter!}`
    }
    io.stdout.write(line + '\n')
    return 0
  } finally {
    if (deadLetterDir !== undefined) await rm(deadLetterDir, { recursive: true, force: true })
    await target.close()
  }
}

/** The files to read and their total size; a missing path is a UsageError naming it. */
async function inputFiles (command: DatasetImportCommand, io: CliIo): Promise<{ files: string[], totalBytes: number }> {
  const files: string[] = []
  for (const given of command.files) {
    let listed: string[]
    try {
      listed = await listInputFiles(resolve(io.cwd, given))
    } catch (err) {
      throw new UsageError(`Cannot import ${given}: ${(err as Error & { code?: string }).name === 'FileNotFoundError' ? 'no such file or directory' : errorMessage(err)}`, { cause: err })
    }
    if (listed.length === 0) throw new UsageError(`Cannot import ${given}: the directory holds no files`)
    files.push(...listed)
  }
  let totalBytes = 0
  for (const f of files) totalBytes += (await stat(f)).size
  return { files, totalBytes }
}

async function checkDeadLetterFile (path: string, given: string): Promise<void> {
  const dir = await stat(dirname(path)).catch(() => undefined)
  if (dir?.isDirectory() !== true) throw new UsageError(`--dead-letter ${given}: its directory does not exist`)
  const file = await stat(path).catch(() => undefined)
  if (file !== undefined && !file.isFile()) throw new UsageError(`--dead-letter ${given} is not a file`)
}

/** `--partition-by` must name a column, and an append keeps the dataset's partitioning. */
function checkPartitioning (command: DatasetImportCommand, schema: { columns: readonly { name: string }[] }, before: DatasetDetail | undefined): void {
  const by = command.partitionBy
  if (by !== undefined && !schema.columns.some(c => c.name === by)) {
    throw new UsageError(`--partition-by names '${by}', which is not a column (columns: ${schema.columns.map(c => c.name).join(', ')})`)
  }
  if (before === undefined || command.mode !== 'append') return
  const p = before.partitioning
  if (by !== undefined && (p.kind !== 'hash' || p.column !== by)) {
    throw new ImportRefusedError(`Dataset '${command.name}' is partitioned ${p.kind === 'hash' ? `on '${p.column}'` : 'round-robin'}, not on '${by}': an append keeps the partitioning (use --mode overwrite to repartition)`)
  }
  if (command.partitions !== undefined && command.partitions !== p.partitions) {
    throw new ImportRefusedError(`Dataset '${command.name}' has ${p.partitions} partitions, not ${command.partitions}: an append keeps the partitioning (use --mode overwrite to repartition)`)
  }
}

/** MESHFLOW_IMPORT_SPLIT_BYTES: the byte-range size of large line files (tests use small ones). */
function splitBytesOf (io: CliIo): { splitBytes?: number } {
  const v = Number(io.env.MESHFLOW_IMPORT_SPLIT_BYTES)
  return Number.isInteger(v) && v > 0 ? { splitBytes: v } : {}
}

async function awaitJob (target: DatasetTarget, jobId: string, io: CliIo): Promise<{ state: string, error: string | undefined }> {
  const onInterrupt = (): void => { void target.cancel(jobId) }
  io.signal?.addEventListener('abort', onInterrupt, { once: true })
  try {
    return await target.awaitJob(jobId)
  } finally {
    io.signal?.removeEventListener('abort', onInterrupt)
  }
}

/** The message of the user's error in a job failure (a file connector error names the file and line), if there is one. */
export function userMessage (err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if ((e as Error & { domain?: unknown }).domain === 'user') return e.message
  }
  return undefined
}

/** A job's error without the operator it happened in (`Operator 'read 0' failed: `): the message names the file. */
export function withoutOperator (message: string): string {
  return message.replace(/^(?:Job '[^']*' failed: )?Operator '[^']*'(?: \(uid [^)]*\))? failed: /, '')
}

/** Concatenates the dead-letter part files into `file`; resolves with the number of lines. */
async function gatherDeadLetters (dir: string, file: string): Promise<number> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(n => !n.startsWith('.') && !n.startsWith('_')).sort()
  let text = ''
  for (const n of names) text += await readFile(join(dir, n), 'utf8')
  await writeFile(file, text)
  return text.split('\n').filter(l => l.length > 0).length
}

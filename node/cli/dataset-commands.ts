/**
 * `meshflow datasets [--json]`, `meshflow dataset show NAME [--json]` and `meshflow
 * dataset rm NAME`, on a mesh (`--mesh`) or on the embedded peer over `--data-dir`.
 * `import` and `export` run jobs (dataset-import.ts, dataset-export.ts).
 */
import type { CliIo } from './cli-io.ts'
import type { DatasetCommand, DatasetRmCommand, DatasetShowCommand, DatasetsCommand } from './dataset-command-line.ts'
import { isNotFound, openDatasetTarget, type DatasetTarget } from './dataset-target.ts'
import { formatDatasetDetail, formatDatasets, replicaHealth, type DatasetListEntry } from './format-datasets.ts'
import { UsageError } from './errors.ts'
import { DEFAULT_REPLICAS } from '../storage/replication.ts'

/** Runs a dataset command; resolves with the exit code. */
export async function datasetCommand (command: DatasetCommand, io: CliIo): Promise<number> {
  if (command.type === 'dataset-import') {
    const { datasetImport } = await import('./dataset-import.ts')
    return await datasetImport(command, io)
  }
  if (command.type === 'dataset-export') {
    const { datasetExport } = await import('./dataset-export.ts')
    return await datasetExport(command, io)
  }
  const target = await openDatasetTarget(command, io, command.type === 'datasets' ? 'datasets' : command.type.replace('-', ' '))
  try {
    switch (command.type) {
      case 'datasets': return await list(command, target, io)
      case 'dataset-show': return await show(command, target, io)
      case 'dataset-rm': return await rm(command, target, io)
    }
  } finally {
    await target.close()
  }
}

/** Copies each segment should have on `target`. */
export async function expectedCopies (target: DatasetTarget): Promise<number> {
  return Math.max(1, Math.min(DEFAULT_REPLICAS, await target.peers()))
}

/** The detail of `name`; a dataset that does not exist is a UsageError naming it. */
export async function showOrExplain (target: DatasetTarget, name: string): Promise<Awaited<ReturnType<DatasetTarget['showDataset']>>> {
  try {
    return await target.showDataset(name)
  } catch (err) {
    if (isNotFound(err)) throw new UsageError(`No dataset '${name}' in ${target.where} (see meshflow datasets)`, { cause: err })
    throw err
  }
}

async function list (command: DatasetsCommand, target: DatasetTarget, io: CliIo): Promise<number> {
  const infos = await target.datasets()
  const expected = infos.length === 0 ? 1 : await expectedCopies(target)
  const entries: DatasetListEntry[] = []
  for (const info of infos) {
    // one show per dataset: its manifest and one holders question for its segments
    const detail = await target.showDataset(info.name).catch(() => undefined)
    entries.push({ info, replicas: detail === undefined ? undefined : replicaHealth(detail, expected) })
  }
  io.stdout.write(formatDatasets(entries, command.json))
  return 0
}

async function show (command: DatasetShowCommand, target: DatasetTarget, io: CliIo): Promise<number> {
  const detail = await showOrExplain(target, command.name)
  io.stdout.write(formatDatasetDetail(detail, replicaHealth(detail, await expectedCopies(target)), command.json))
  return 0
}

async function rm (command: DatasetRmCommand, target: DatasetTarget, io: CliIo): Promise<number> {
  await showOrExplain(target, command.name)
  await target.dropDataset(command.name)
  io.stdout.write(`dropped dataset ${command.name}\n`)
  return 0
}

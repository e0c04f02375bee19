/**
 * What the build of a job knows of the datasets it reads, as plain data: per dataset (key
 * `name` for the version read without asking for one, `name@version` for a version asked
 * for) its schema, row count and partitioning. The JobManager resolves it when a job is
 * submitted; every peer (and every task thread) that builds the job again builds it with
 * the same entries, from the versions the job is pinned to, so the graph — join strategies
 * and co-located joins depend on sizes and partitioning — is the same everywhere.
 *
 * @example
 * env.attachDatasetCatalog(datasetCatalogView({ sales: { schema, rows: 1e6, partitioning: { kind: 'hash', column: 'store', partitions: 4 } } }, false))
 */
import type { DatasetSchema, Partitioning } from './dataset-schema.ts'
import type { DatasetCatalogView } from './stream-environment.ts'

/** One dataset version as the build of a job sees it. */
export interface DatasetCatalogEntry {
  readonly schema: DatasetSchema
  readonly rows: number
  readonly partitioning: Partitioning
}

/** Entries by `name` (the version read without asking for one) and `name@version`. */
export type DatasetCatalogEntries = Readonly<Record<string, DatasetCatalogEntry>>

/** The key of a read in DatasetCatalogEntries. */
export function catalogKey (name: string, version: number | undefined): string {
  return version === undefined ? name : `${name}@${version}`
}

/** A catalog view over `entries`; with `strict`, reading a dataset it lacks fails the build. */
export function datasetCatalogView (entries: DatasetCatalogEntries, strict: boolean): DatasetCatalogView {
  return {
    strict,
    lookup: (name, version) => Object.hasOwn(entries, catalogKey(name, version)) ? entries[catalogKey(name, version)] : undefined,
    names: () => [...new Set(Object.keys(entries).map(k => k.replace(/@\d+$/, '')))]
  }
}

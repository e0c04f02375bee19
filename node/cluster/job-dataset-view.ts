/**
 * The datasets a job reads, resolved to versions and manifests: at submit the JobManager
 * resolves each read to the latest version (or the one it names) and pins it; every later
 * build of the job — on each TaskManager, each task thread, and the JobManager's graph for
 * restarts — resolves the same reads to the pinned versions. Both give the same
 * `DatasetCatalogEntries` (schema, rows, partitioning), so the job graph, whose join
 * strategies and co-located joins depend on them, is the same on every peer.
 *
 * @example
 * const { pins, entries, manifests } = await resolveJobDatasets('report', reads, { catalog, fetchBlock })
 * const { env } = await buildPinnedJob(runtime, definition, job, { catalog: () => catalog, fetchBlock })
 */
import type { JobDefinition } from '../api/job.ts'
import type { StreamEnvironment } from '../api/stream-environment.ts'
import { catalogKey, datasetCatalogView, type DatasetCatalogEntries, type DatasetCatalogEntry } from '../api/dataset-catalog-view.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import { decodeDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { DatasetCatalog } from './dataset-catalog.ts'
import type { JobRecord } from './job-registry.ts'
import type { JobRuntime } from './load-job-runtime.ts'
import { DatasetRejectedError } from './errors.ts'

/** A read of a dataset: its name and the version it asks for. */
export interface DatasetRead {
  readonly name: string
  readonly version: number | undefined
}

export interface JobDatasetsSource {
  readonly catalog: DatasetCatalog
  /** A block's verified bytes. */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** A manifest block decoded (a cache: see ManifestCache); default: fetched and decoded each time. */
  readonly fetchManifest?: (cid: string) => Promise<DatasetManifest>
}

export interface ResolvedDatasets {
  /** Dataset name -> the version pinned (the one read without a version, else the first one asked for). */
  readonly pins: Record<string, number>
  readonly entries: DatasetCatalogEntries
  /** The manifest of each read, by `catalogKey(name, version asked)`. */
  readonly manifests: ReadonlyMap<string, DatasetManifest>
}

/**
 * Resolves `reads` of job `job`: a read without a version to `pins[name]` when pinned, else
 * the latest version.
 *
 * @throws {DatasetRejectedError} naming a dataset (or version) that does not exist, or whose manifest cannot be read
 */
export async function resolveJobDatasets (job: string, reads: readonly DatasetRead[], source: JobDatasetsSource, pinned?: Readonly<Record<string, number>>): Promise<ResolvedDatasets> {
  const catalog = source.catalog
  const pins: Record<string, number> = {}
  const entries: Record<string, DatasetCatalogEntry> = {}
  const manifests = new Map<string, DatasetManifest>()
  for (const { name, version } of reads) {
    const wanted = version ?? (pinned !== undefined && Object.hasOwn(pinned, name) ? pinned[name] : undefined)
    const ref = wanted === undefined ? catalog.latest(name) : catalog.version(name, wanted)
    if (ref === undefined) {
      const exists = catalog.latest(name) !== undefined
      throw new DatasetRejectedError(`Job '${job}' reads dataset '${name}'${wanted === undefined || !exists ? ', which does not exist' : `, version ${wanted}, which is not retained (retained: ${catalog.dataset(name)!.versions.map(v => v.version).join(', ')})`}`)
    }
    // the version read without asking for one is pinned; else the one asked for
    if (version === undefined || !Object.hasOwn(pins, name)) pins[name] = ref.version
    const key = catalogKey(name, version)
    if (manifests.has(key)) continue
    let manifest
    try {
      manifest = source.fetchManifest !== undefined ? await source.fetchManifest(ref.cid) : decodeDatasetManifest(await source.fetchBlock(ref.cid))
    } catch (err) {
      throw new DatasetRejectedError(`Job '${job}' reads dataset '${name}' version ${ref.version}, whose manifest cannot be read: ${errorMessage(err)}`, { cause: err })
    }
    manifests.set(key, manifest)
    entries[key] = { schema: manifest.schema, rows: ref.rows, partitioning: manifest.partitioning }
  }
  return { pins, entries, manifests }
}

/**
 * Builds a recorded job as every peer does: once, and when it reads datasets, again with
 * the catalog entries of the versions it is pinned to (see the module comment). Resolves
 * with the environment and the entries (for task threads, which build it too).
 */
export async function buildPinnedJob (
  runtime: Pick<JobRuntime, 'buildJob' | 'datasetReadsOf'>,
  definition: JobDefinition,
  job: Pick<JobRecord, 'name' | 'parallelism' | 'maxParallelism' | 'args' | 'datasets'>,
  source: (() => JobDatasetsSource) | undefined
): Promise<{ env: StreamEnvironment, entries: DatasetCatalogEntries | undefined }> {
  const env = await runtime.buildJob(definition, job)
  // a pipeline declared in this process is built once, by its author
  if (source === undefined || definition.environment !== undefined) return { env, entries: undefined }
  const reads = runtime.datasetReadsOf(env.getJobGraph())
  if (reads.length === 0) return { env, entries: undefined }
  const { entries } = await resolveJobDatasets(job.name, reads, source(), job.datasets ?? {})
  return { env: await runtime.buildJob(definition, job, datasetCatalogView(entries, false)), entries }
}

/**
 * The datasets as this peer's jobs and in-process runs read them: one ManifestCache (a
 * version's manifest decoded once) and one SegmentColumnCache (a segment's columns decoded
 * once, within PeerInit.segmentCacheBytes) for all of them — both hold immutable,
 * content-addressed blocks, so nothing in them is ever stale — and a JobDatasets per job
 * (its pinned versions) over the peer's block storage.
 *
 * @example
 * const datasets = new PeerDatasets({ catalog: () => registry.datasets, storage, members, commit }, { segmentCacheBytes })
 * const access = datasets.forJob(job)   // a job's tasks' DatasetAccess
 */
import type { DatasetAccess } from '../api/dataset-access.ts'
import type { BlockStorage } from '../storage/block-storage.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import { ManifestCache } from '../storage/datasets/manifest-cache.ts'
import { SegmentColumnCache } from '../storage/datasets/segment-column-cache.ts'
import type { DatasetCatalog } from './dataset-catalog.ts'
import type { DatasetCommitOptions } from './dataset-commits.ts'
import type { JobDatasetsSource } from './job-dataset-view.ts'
import { JobDatasets } from './job-datasets.ts'

export interface PeerDatasetsComponents {
  /** This peer's copy of the catalog. */
  readonly catalog: () => DatasetCatalog
  readonly storage: Pick<BlockStorage, 'storeBlock' | 'fetchBlock' | 'putLarge' | 'fetchLarge'>
  /** Live peers' ids (where chunks of a large segment are fetched from). */
  readonly members: () => string[]
  /** Commits a stored manifest through the JobManager. */
  readonly commit: (name: string, options: DatasetCommitOptions) => Promise<{ name: string, version: number, cid: string }>
}

export interface PeerDatasetsInit {
  /** See PeerInit.segmentCacheBytes. */
  readonly segmentCacheBytes?: number | undefined
}

export class PeerDatasets {
  /** The decoded columns of segments this peer's scans read. */
  readonly columns: SegmentColumnCache
  /** A manifest block decoded (cached). */
  readonly fetchManifest: (cid: string) => Promise<DatasetManifest>
  readonly #c: PeerDatasetsComponents

  constructor (components: PeerDatasetsComponents, init: PeerDatasetsInit = {}) {
    this.#c = components
    const manifests = new ManifestCache({ fetchBlock: async cid => await components.storage.fetchBlock(cid) })
    this.fetchManifest = manifests.get.bind(manifests)
    this.columns = new SegmentColumnCache(init.segmentCacheBytes === undefined ? {} : { maxBytes: init.segmentCacheBytes })
  }

  /** The catalog and manifests (what a job build, or a SQL session planning a query, reads). */
  source (): JobDatasetsSource {
    return { catalog: this.#c.catalog(), fetchBlock: async cid => await this.#c.storage.fetchBlock(cid), fetchManifest: this.fetchManifest }
  }

  /** A job's DatasetAccess: reads resolve to the versions it is pinned to. */
  forJob (job: { readonly datasets?: Readonly<Record<string, number>> | undefined }): JobDatasets {
    const { storage, members } = this.#c
    return new JobDatasets({
      catalog: this.#c.catalog,
      storeBlock: async bytes => await storage.storeBlock(bytes),
      fetchBlock: async cid => await storage.fetchBlock(cid),
      fetchManifest: this.fetchManifest,
      columns: this.columns,
      storeLarge: async bytes => (await storage.putLarge(bytes)).toString(),
      fetchLarge: async cid => await storage.fetchLarge(cid, { from: members() }),
      commit: this.#c.commit
    }, job.datasets === undefined ? {} : { pins: job.datasets })
  }

  /** The DatasetAccess of a pipeline run in process, not as a job (`runInProcess`): no pins, versions as asked. */
  inProcess (): DatasetAccess {
    return this.forJob({})
  }
}

/**
 * The datasets of the mesh as one job's tasks on this peer reach them (DatasetAccess):
 * manifests and segments are read from the replicated block store, verified; new segments
 * are stored on their replicas; a commit builds the new version's manifest (an append
 * lists the previous version's segments, then the new ones), stores it, and asks the
 * JobManager to commit it — which checks it and proposes it to the log (DESIGN §9).
 *
 * Reads are pinned: a dataset the job reads resolves to the version recorded when the job
 * was submitted (its `datasets` pins), so every task of every attempt reads the same
 * rows. A commit that loses a race with another writer reads the latest version again
 * and retries; its `commitId` makes a retried commit that did land return what it made.
 */
import { logger } from '@libp2p/logger'
import type { DatasetAccess, DatasetCommit } from '../api/dataset-access.ts'
import type { DatasetManifest, DatasetVersionRef, SegmentRef } from '../storage/datasets/dataset-types.ts'
import type { DatasetSchema } from '../api/dataset-schema.ts'
import type { SegmentView } from '../storage/datasets/segment-reader.ts'
import type { SegmentColumnCache } from '../storage/datasets/segment-column-cache.ts'
import { DATASET_MANIFEST_TYPE } from '../storage/datasets/dataset-types.ts'
import { decodeDatasetManifest, encodeDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import { readSegment as decodeSegment } from '../storage/datasets/segment-reader.ts'
import { MAX_BLOCK_BYTES } from '../../protocol/constants.ts'
import { isLargeValueManifest } from '../storage/chunking.ts'
import type { DatasetCatalog } from './dataset-catalog.ts'
import type { DatasetCommitOptions } from './dataset-commits.ts'
import { DatasetNotFoundError } from './errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'

const log = logger('meshflow:cluster:job-datasets')

/** How often a commit that lost a race is tried again. */
const COMMIT_ATTEMPTS = 8
/** The pause before a commit is tried again (this peer's catalog may lag the leader's). */
const COMMIT_RETRY_MS = 250

export interface JobDatasetsComponents {
  /** This peer's copy of the catalog (the metadata log's). */
  readonly catalog: () => DatasetCatalog
  readonly storeBlock: (bytes: Uint8Array) => Promise<string>
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** A manifest block decoded (a cache: see ManifestCache); default: fetched and decoded each time. */
  readonly fetchManifest?: (cid: string) => Promise<DatasetManifest>
  /** Stores a value larger than a block as a chunk tree; resolves with its root CID. */
  readonly storeLarge: (bytes: Uint8Array) => Promise<string>
  /** A chunk tree's value, fetched from the mesh. */
  readonly fetchLarge: (cid: string) => Promise<Uint8Array>
  /** The peer's decoded columns of segments (shared by its jobs); without it `readColumns` decodes every time. */
  readonly columns?: SegmentColumnCache
  /** Commits a stored manifest through the JobManager. */
  readonly commit: (name: string, options: DatasetCommitOptions) => Promise<{ name: string, version: number, cid: string }>
}

export interface JobDatasetsInit {
  /** The version of each dataset the job reads, resolved at submit. */
  readonly pins?: Readonly<Record<string, number>>
  readonly now?: () => number
}

export class JobDatasets implements DatasetAccess {
  readonly #c: JobDatasetsComponents
  readonly #pins: Readonly<Record<string, number>>
  readonly #now: () => number

  constructor (components: JobDatasetsComponents, init: JobDatasetsInit = {}) {
    this.#c = components
    this.#pins = init.pins ?? {}
    this.#now = init.now ?? Date.now
  }

  async manifest (name: string, options: { version?: number, signal?: AbortSignal } = {}): Promise<DatasetManifest> {
    options.signal?.throwIfAborted()
    const catalog = this.#c.catalog()
    const wanted = options.version ?? this.#pins[name]
    const ref = wanted === undefined ? catalog.latest(name) : catalog.version(name, wanted)
    if (ref === undefined) {
      const retained = catalog.dataset(name)?.versions.map(v => v.version)
      throw new DatasetNotFoundError(name, wanted === undefined || retained === undefined ? {} : { version: wanted, retained })
    }
    return this.#c.fetchManifest !== undefined ? await this.#c.fetchManifest(ref.cid) : decodeDatasetManifest(await this.#c.fetchBlock(ref.cid))
  }

  async readSegment (cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted()
    const bytes = await this.#c.fetchBlock(cid)
    // a segment larger than a block is a chunk tree: its root lists the chunks
    return isLargeValueManifest(cid, bytes) ? await this.#c.fetchLarge(cid) : bytes
  }

  async readColumns (cid: string, schema: DatasetSchema, columns: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SegmentView> {
    options.signal?.throwIfAborted()
    // not cancelled with this read: another scan may share the load (see SegmentColumnCache)
    const load = async (): Promise<Uint8Array> => await this.readSegment(cid)
    const cache = this.#c.columns
    if (cache !== undefined) return await cache.read(cid, schema, columns, load)
    return decodeSegment(await load(), schema, { columns })
  }

  async writeSegment (bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted()
    return bytes.byteLength <= MAX_BLOCK_BYTES ? await this.#c.storeBlock(bytes) : await this.#c.storeLarge(bytes)
  }

  async commit (commit: DatasetCommit, options: { signal?: AbortSignal } = {}): Promise<DatasetVersionRef> {
    const { name } = commit
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      const catalog = this.#c.catalog()
      if (commit.commitId !== undefined) {
        const done = catalog.committed(name, commit.commitId)
        const ref = done === undefined ? undefined : catalog.version(name, done.version)
        if (ref !== undefined) return ref
      }
      const previous = catalog.latest(name)
      const manifest = await this.#next(commit, previous)
      const manifestCid = await this.#c.storeBlock(encodeDatasetManifest(manifest))
      try {
        const made = await this.#c.commit(name, {
          manifestCid,
          expectedVersion: previous?.version ?? 0,
          mode: commit.mode,
          ...(commit.commitId === undefined ? {} : { commitId: commit.commitId })
        })
        let rows = 0
        let bytes = 0
        for (const p of manifest.partitions) for (const s of p) { rows += s.rows; bytes += s.bytes }
        return { version: made.version, cid: made.cid, rows, bytes, createdAt: manifest.createdAt }
      } catch (err) {
        const retriable = (err as { retriable?: unknown }).retriable === true
        if (!retriable || attempt >= COMMIT_ATTEMPTS) throw err
        log('commit of dataset %s lost a race (attempt %d): %s', name, attempt, errorMessage(err))
        await new Promise(resolve => setTimeout(resolve, COMMIT_RETRY_MS * attempt))
      }
    }
  }

  /** The manifest of the version after `previous` that `commit` makes. */
  async #next (commit: DatasetCommit, previous: DatasetVersionRef | undefined): Promise<DatasetManifest> {
    let partitions: (readonly SegmentRef[])[] = commit.partitions.map(p => [...p])
    if (commit.mode === 'append' && previous !== undefined) {
      const before = decodeDatasetManifest(await this.#c.fetchBlock(previous.cid))
      // an append keeps the dataset's partitioning: the JobManager refuses another one, naming it
      if (before.partitions.length === partitions.length) partitions = before.partitions.map((p, i) => [...p, ...partitions[i]!])
    }
    return {
      type: DATASET_MANIFEST_TYPE,
      name: commit.name,
      version: (previous?.version ?? 0) + 1,
      schema: commit.schema,
      partitioning: commit.partitioning,
      partitions,
      createdAt: this.#now()
    }
  }
}

/**
 * The datasets of the mesh as the metadata log records them (DESIGN §5, §6): for each name,
 * the retained versions (manifest CID, rows, bytes, when) and the latest one's partitioning.
 * Every peer applies the same `dataset-commit` and `dataset-drop` commands in log order, so
 * every peer lists the same datasets, and a new JobManager knows them from the log.
 *
 * Retention: the last `retainVersions` versions (default 5) of each dataset, plus every
 * version a running job reads (`pinned`, which the registry derives from the jobs in the
 * log, so it is the same on every peer). A version leaves the catalog once it is neither;
 * its blocks then become garbage (the catalog's CIDs are roots of garbage collection).
 *
 * Applying is total (DESIGN §9): a commit whose version is not the latest + 1, or a drop of
 * a dataset that does not exist or that a running job reads, is skipped with a reason —
 * the same way on every peer — and never throws.
 *
 * @example
 * const catalog = new DatasetCatalog({ pinned: name => registry.pinnedVersions(name) })
 * catalog.apply({ op: 'dataset-commit', name: 'sales', version: 1, cid, rows: 10, bytes: 800, segments: 2, partitioning, createdAt: Date.now() })
 * catalog.latest('sales')?.cid === cid
 */
import type { DatasetCommand, DatasetPartitioningRecord } from '../../protocol/log.ts'
import type { DatasetVersionRef } from '../storage/datasets/dataset-types.ts'
import { MAX_RECENT_COMMITS, MAX_RETAINED_VERSIONS } from '../../protocol/dataset-fields.ts'
import { DEFAULT_RETAINED_DATASET_VERSIONS } from './constants.ts'

/** A dataset as the catalog knows it: an immutable value, replaced on every change. */
export interface DatasetRecord {
  readonly name: string
  /** The latest version's partitioning. */
  readonly partitioning: DatasetPartitioningRecord
  /** Segments of the latest version, over all partitions. */
  readonly segments: number
  /** The retained versions, oldest first; the last one is the latest. */
  readonly versions: readonly DatasetVersionRef[]
  /** The ids of the last `MAX_RECENT_COMMITS` commits that carried one, oldest first, with the version each made. */
  readonly commits: readonly DatasetCommitRecord[]
}

/** A commit id the catalog remembers, and the version (manifest) that commit made. */
export interface DatasetCommitRecord {
  readonly id: string
  readonly version: number
  readonly cid: string
}

/** The catalog's state for a Raft snapshot (job-registry-snapshot.ts encodes it). */
export type DatasetCatalogState = readonly DatasetRecord[]

export interface DatasetCatalogComponents {
  /** The versions of a dataset that running jobs read (kept whatever the retention says). */
  readonly pinned: (name: string) => ReadonlySet<number>
}

export interface DatasetCatalogInit {
  /** Versions of each dataset kept besides the pinned ones (default 5, at least 1). */
  readonly retainVersions?: number
}

export class DatasetCatalog {
  readonly #datasets = new Map<string, DatasetRecord>()
  readonly #pinned: DatasetCatalogComponents['pinned']
  readonly retainVersions: number

  constructor (components: DatasetCatalogComponents, init: DatasetCatalogInit = {}) {
    this.#pinned = components.pinned
    this.retainVersions = Math.max(1, Math.min(MAX_RETAINED_VERSIONS, init.retainVersions ?? DEFAULT_RETAINED_DATASET_VERSIONS))
  }

  /** Every dataset, in the order they were first committed. */
  get datasets (): DatasetRecord[] { return [...this.#datasets.values()] }

  dataset (name: string): DatasetRecord | undefined { return this.#datasets.get(name) }

  /** The latest version of a dataset. */
  latest (name: string): DatasetVersionRef | undefined { return this.#datasets.get(name)?.versions.at(-1) }

  /** A retained version of a dataset. */
  version (name: string, version: number): DatasetVersionRef | undefined {
    return this.#datasets.get(name)?.versions.find(v => v.version === version)
  }

  /** The version a commit of id `commitId` made to dataset `name`, when it is one of the recent ones. */
  committed (name: string, commitId: string): DatasetCommitRecord | undefined {
    return this.#datasets.get(name)?.commits.find(c => c.id === commitId)
  }

  /** The manifest CIDs of every retained version of every dataset: roots of garbage collection. */
  roots (): string[] {
    const out: string[] = []
    for (const d of this.#datasets.values()) for (const v of d.versions) out.push(v.cid)
    return out
  }

  /**
   * Applies a valid dataset command; returns why it was skipped, or undefined when it was
   * applied. Never throws.
   */
  apply (c: DatasetCommand): string | undefined {
    const current = this.#datasets.get(c.name)
    if (c.op === 'dataset-drop') {
      if (current === undefined) return `no dataset is named '${c.name}'`
      const pins = this.#pinned(c.name)
      const read = current.versions.filter(v => pins.has(v.version)).map(v => v.version)
      if (read.length > 0) return `dataset '${c.name}' is read by a running job (version ${read.join(', ')})`
      this.#datasets.delete(c.name)
      return undefined
    }
    const done = c.commitId === undefined ? undefined : this.committed(c.name, c.commitId)
    if (done !== undefined) return `commit '${c.commitId ?? ''}' of dataset '${c.name}' made version ${done.version} already`
    const latest = current?.versions.at(-1)?.version ?? 0
    if (c.version !== latest + 1) return `version ${c.version} of dataset '${c.name}' does not follow its latest version ${latest}`
    const version: DatasetVersionRef = Object.freeze({ version: c.version, cid: c.cid, rows: c.rows, bytes: c.bytes, createdAt: c.createdAt })
    this.#set({
      name: c.name,
      partitioning: c.partitioning,
      segments: c.segments,
      versions: this.#retained(c.name, [...current?.versions ?? [], version]),
      commits: c.commitId === undefined
        ? current?.commits ?? []
        : [...current?.commits ?? [], Object.freeze({ id: c.commitId, version: c.version, cid: c.cid })].slice(-MAX_RECENT_COMMITS)
    })
    return undefined
  }

  /** Lets go of versions no running job pins any more and that retention does not keep (after a job ended). */
  retain (): void {
    for (const d of this.#datasets.values()) {
      const versions = this.#retained(d.name, d.versions)
      if (versions.length !== d.versions.length) this.#set({ ...d, versions })
    }
  }

  /** The last `retainVersions` versions and the pinned ones, at most MAX_RETAINED_VERSIONS (newest kept). */
  #retained (name: string, versions: readonly DatasetVersionRef[]): DatasetVersionRef[] {
    const pins = this.#pinned(name)
    const keepFrom = versions.length - this.retainVersions
    return versions.filter((v, i) => i >= keepFrom || pins.has(v.version)).slice(-MAX_RETAINED_VERSIONS)
  }

  #set (d: DatasetRecord): void {
    Object.freeze(d.partitioning)
    Object.freeze(d.versions)
    Object.freeze(d.commits)
    this.#datasets.set(d.name, Object.freeze(d))
  }

  /** The catalog's state for a snapshot. */
  snapshot (): DatasetCatalogState { return this.datasets }

  /** Replaces the state with a snapshot's. */
  restore (state: DatasetCatalogState): void {
    this.#datasets.clear()
    for (const d of state) this.#set({ ...d, versions: d.versions.map(v => Object.freeze({ ...v })), commits: d.commits.map(c => Object.freeze({ ...c })) })
  }
}

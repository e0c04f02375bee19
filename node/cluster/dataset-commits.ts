/**
 * The JobManager's work for datasets (DESIGN §6, §9): a client never writes the catalog; it
 * asks, and the JobManager checks and proposes. `commit` reads the new version's manifest
 * block from the mesh, checks that it is the next version of the dataset (or of the version
 * the writer read), that its schema is the previous version's, that an append keeps the
 * previous partitioning and segments, and that every segment is stored, then proposes
 * `dataset-commit`. `drop` proposes `dataset-drop`. Commits of one dataset are checked one
 * at a time; a commit that still loses (to a commit of another JobManager) is reported as
 * a conflict after the log shows it.
 *
 * @example
 * const commits = new DatasetCommits({ registry, propose, fetchBlock, holders })
 * await commits.commit('sales', { manifestCid, expectedVersion: 3 })  // { name: 'sales', version: 4, cid }
 */
import { logger } from '@libp2p/logger'
import { datasetNameProblem } from '../../protocol/dataset-fields.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { DatasetCommitMode } from '../../protocol/client.ts'
import type { DatasetCommand } from '../../protocol/log.ts'
import { datasetManifestTotals, decodeDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import type { DatasetManifest, DatasetSchema, Partitioning } from '../storage/datasets/dataset-types.ts'
import { TERMINAL_STATES, type JobRegistry } from './job-registry.ts'
import { DatasetConflictError, DatasetNotFoundError, DatasetRejectedError } from './errors.ts'

const log = logger('meshflow:cluster:datasets')

export interface DatasetCommitsComponents {
  readonly registry: JobRegistry
  /** Commits a command to the metadata log (this peer leads). */
  readonly propose: (command: DatasetCommand) => Promise<unknown>
  /** A block's verified bytes, from the peers that hold it. */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** Which peers hold each of the blocks (BlockStorage.holders). */
  readonly holders: (cids: readonly string[]) => Promise<Map<string, string[]>>
}

/** What a commit asks for besides the dataset's name. */
export interface DatasetCommitOptions {
  readonly manifestCid: string
  /** The latest version the writer read (0: the dataset must not exist yet). */
  readonly expectedVersion?: number | undefined
  /** Default `append`. */
  readonly mode?: DatasetCommitMode | undefined
  /** The writer's id for this commit: a commit of an id the dataset took recently answers with the version it made. */
  readonly commitId?: string | undefined
}

export class DatasetCommits {
  readonly #c: DatasetCommitsComponents
  /** The commit or drop of each dataset under way: they run one at a time per name. */
  readonly #busy = new Map<string, Promise<unknown>>()

  constructor (components: DatasetCommitsComponents) {
    this.#c = components
  }

  /**
   * Checks and commits the manifest `manifestCid` as the next version of `name`.
   *
   * @throws {DatasetRejectedError} naming what is wrong (name, manifest, schema column, partitioning, a missing segment)
   * @throws {DatasetConflictError} when another commit came first
   */
  async commit (name: string, options: DatasetCommitOptions): Promise<{ name: string, version: number, cid: string }> {
    checkName(name)
    return await this.#serial(name, async () => await this.#commit(name, options))
  }

  /**
   * Drops dataset `name` with every version.
   *
   * @throws {DatasetNotFoundError} when no dataset has that name
   * @throws {DatasetRejectedError} when a running job reads it
   */
  async drop (name: string): Promise<void> {
    checkName(name)
    await this.#serial(name, async () => {
      const catalog = this.#c.registry.datasets
      if (catalog.dataset(name) === undefined) throw new DatasetNotFoundError(name)
      const readers = this.#c.registry.jobs.filter(j => j.datasets !== undefined && Object.hasOwn(j.datasets, name) && !TERMINAL_STATES.has(j.state))
      if (readers.length > 0) throw new DatasetRejectedError(`Dataset '${name}' is read by running job ${readers.map(j => `'${j.name}' (${j.id})`).join(', ')}: drop it once the job has ended`)
      await this.#c.propose({ op: 'dataset-drop', name })
      if (catalog.dataset(name) !== undefined) throw new DatasetConflictError(`Dataset '${name}' was not dropped: a job that reads it started meanwhile`)
      log('dataset %s dropped', name)
    })
  }

  async #serial<T> (name: string, work: () => Promise<T>): Promise<T> {
    const before = this.#busy.get(name) ?? Promise.resolve()
    const run = before.then(work, work)
    const settled = run.catch(() => {})
    this.#busy.set(name, settled)
    try {
      return await run
    } finally {
      if (this.#busy.get(name) === settled) this.#busy.delete(name)
    }
  }

  async #commit (name: string, o: DatasetCommitOptions): Promise<{ name: string, version: number, cid: string }> {
    const catalog = this.#c.registry.datasets
    // a retried commit (a sink restored from a checkpoint commits again): what it made
    const done = o.commitId === undefined ? undefined : catalog.committed(name, o.commitId)
    if (done !== undefined) return { name, version: done.version, cid: done.cid }
    const cid = o.manifestCid
    const manifest = await this.#manifest(cid, `The manifest ${cid} of the new version of dataset '${name}'`)
    if (manifest.name !== name) throw new DatasetRejectedError(`The manifest ${cid} is of dataset '${manifest.name}', not '${name}'`)
    const latest = catalog.latest(name)
    const current = latest?.version ?? 0
    if (o.expectedVersion !== undefined && o.expectedVersion !== current) {
      throw new DatasetConflictError(`Dataset '${name}' is at version ${current}, not ${o.expectedVersion} as the writer read it: another commit came first; read the dataset again and retry`)
    }
    if (manifest.version !== current + 1) {
      throw new DatasetConflictError(`The manifest ${cid} is version ${manifest.version} of dataset '${name}', but the next version is ${current + 1}${manifest.version <= current ? ': another commit came first; read the dataset again and retry' : ''}`)
    }
    if (latest !== undefined) {
      const previous = await this.#manifest(latest.cid, `Version ${latest.version} of dataset '${name}'`)
      const problem = schemaProblem(name, previous.schema, manifest.schema) ?? (o.mode === 'overwrite' ? undefined : appendProblem(name, previous, manifest))
      if (problem !== undefined) throw new DatasetRejectedError(problem)
    }
    await this.#checkStored(name, manifest)
    const totals = datasetManifestTotals(manifest)
    await this.#c.propose({
      op: 'dataset-commit',
      name,
      version: manifest.version,
      cid,
      rows: totals.rows,
      bytes: totals.bytes,
      segments: totals.segments,
      partitioning: manifest.partitioning.kind === 'hash'
        ? { kind: 'hash', column: manifest.partitioning.column, partitions: manifest.partitioning.partitions }
        : { kind: 'round-robin', partitions: manifest.partitioning.partitions },
      createdAt: manifest.createdAt,
      ...(o.commitId === undefined ? {} : { commitId: o.commitId })
    })
    const racing = o.commitId === undefined ? undefined : catalog.committed(name, o.commitId)
    if (racing !== undefined) return { name, version: racing.version, cid: racing.cid }
    if (catalog.latest(name)?.cid !== cid) {
      throw new DatasetConflictError(`Version ${manifest.version} of dataset '${name}' was committed by another writer first; read the dataset again and retry`)
    }
    log('dataset %s version %d committed (%d rows, %d segments)', name, manifest.version, totals.rows, totals.segments)
    return { name, version: manifest.version, cid }
  }

  async #manifest (cid: string, what: string): Promise<DatasetManifest> {
    let bytes: Uint8Array
    try {
      bytes = await this.#c.fetchBlock(cid)
    } catch (err) {
      throw new DatasetRejectedError(`${what} cannot be read from the mesh: ${errorMessage(err)}`, { cause: err })
    }
    try {
      return decodeDatasetManifest(bytes)
    } catch (err) {
      throw new DatasetRejectedError(`${what} is not a valid dataset manifest: ${errorMessage(err)}`, { cause: err })
    }
  }

  /** Every segment of the new version must be held by some peer: a version never lists data the mesh lacks. */
  async #checkStored (name: string, m: DatasetManifest): Promise<void> {
    const cids = m.partitions.flatMap(p => p.map(s => s.cid))
    if (cids.length === 0) return
    const held = await this.#c.holders(cids)
    for (const [p, segments] of m.partitions.entries()) {
      for (const s of segments) {
        if ((held.get(s.cid)?.length ?? 0) === 0) throw new DatasetRejectedError(`Segment ${s.cid} of partition ${p} of version ${m.version} of dataset '${name}' is not stored in the mesh: store every segment before committing`)
      }
    }
  }
}

function checkName (name: string): void {
  const problem = datasetNameProblem(name)
  if (problem !== undefined) throw new DatasetRejectedError(`Invalid dataset name: ${problem}`)
}

/**
 * Why `next` cannot be a version of dataset `name` whose schema is `previous`, naming the
 * column, or undefined when the schemas are the same.
 *
 * @example
 * schemaProblem('sales', { columns: [{ name: 'amount', type: 'number' }] }, { columns: [{ name: 'amount', type: 'string' }] })
 * // "Column 'amount' is number in dataset 'sales' but string in the new version"
 */
export function schemaProblem (name: string, previous: DatasetSchema, next: DatasetSchema): string | undefined {
  const before = new Map(previous.columns.map((c, i) => [c.name, { type: c.type, index: i }]))
  const after = new Map(next.columns.map((c, i) => [c.name, { type: c.type, index: i }]))
  for (const [column, b] of before) {
    const a = after.get(column)
    if (a === undefined) return `Column '${column}' of dataset '${name}' is missing from the new version`
    if (a.type !== b.type) return `Column '${column}' is ${b.type} in dataset '${name}' but ${a.type} in the new version`
  }
  for (const column of after.keys()) {
    if (!before.has(column)) return `Column '${column}' is not in dataset '${name}' (the new version adds it); drop the dataset or write to a new one to change the schema`
  }
  for (const [column, b] of before) {
    const a = after.get(column)!
    if (a.index !== b.index) return `Column '${column}' is column ${b.index + 1} of dataset '${name}' but column ${a.index + 1} in the new version`
  }
  return undefined
}

function describePartitioning (p: Partitioning): string {
  return p.kind === 'hash' ? `hash on '${p.column}' into ${p.partitions} partitions` : `round-robin into ${p.partitions} partitions`
}

/** Why `next` is not an append to `previous`: another partitioning, or a segment of `previous` missing. */
function appendProblem (name: string, previous: DatasetManifest, next: DatasetManifest): string | undefined {
  const a = previous.partitioning
  const b = next.partitioning
  const same = a.kind === b.kind && a.partitions === b.partitions && (a.kind !== 'hash' || (b.kind === 'hash' && a.column === b.column))
  if (!same) return `An append to dataset '${name}' must keep its partitioning (${describePartitioning(a)}), but the new version is partitioned ${describePartitioning(b)}; overwrite it to repartition`
  for (const [p, segments] of previous.partitions.entries()) {
    const now = next.partitions[p] ?? []
    const lost = segments.findIndex((s, i) => now[i]?.cid !== s.cid)
    if (lost !== -1) return `An append to dataset '${name}' must keep the segments of version ${previous.version}, but partition ${p} does not list segment ${segments[lost]!.cid} in its place`
  }
  return undefined
}

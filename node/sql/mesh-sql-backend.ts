/**
 * The SQL backend of a mesh (`meshflow sql --mesh MA`, `SqlSession.connect`): the client
 * plans each statement against the mesh's catalog (so a mistake is reported with its
 * position before anything runs, and EXPLAIN needs no job), then submits the SQL job
 * (node/sql/jobs/sql-job.ts), which every peer builds from the statement text. A query's
 * rows come back through a result dataset of one partition — written by the job, read here
 * block by block from the peers that hold it, then dropped — so the client protocol never
 * carries data and a large result is not held by any JobManager.
 *
 * @example
 * const backend = await meshSqlBackend({ mesh: '/ip4/127.0.0.1/tcp/7000', parallelism: 3 })
 */
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { CatalogTable, SqlCatalog } from './catalog.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { SqlBackend } from './sql-backend.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import type { DataSet } from '../api/data-set.ts'
import { MeshClient } from '../cluster/mesh-client.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { datasetCatalogView, type DatasetCatalogEntry } from '../api/dataset-catalog-view.ts'
import { decodeDatasetManifest } from '../storage/datasets/dataset-manifest.ts'
import { segmentRows } from '../storage/datasets/segment-rows.ts'
import { isLargeValueManifest, readLargeBytes } from '../storage/chunking.ts'
import { parseCid } from '../../protocol/cid.ts'
import { datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { distinctEstimates, notNullColumns } from './embedded-sql-backend.ts'
import { SqlPlanError } from './errors.ts'
import { bundleJob } from '../cluster/job-bundle.ts'
import { BlockNotFoundError } from '../storage/block-errors.ts'
import type { SqlJobSpec, SqlTableStats } from './sql-job-build.ts'
import { scannedTables } from './scanned-tables.ts'

/** The job module the mesh runs for each statement. */
const SQL_JOB = fileURLToPath(new URL('./jobs/sql-job.ts', import.meta.url))

export interface MeshSqlBackendInit {
  /** Multiaddr of any peer of the mesh. */
  readonly mesh: string
  readonly psk?: Uint8Array
  readonly parallelism: number
  readonly signal?: AbortSignal
}

/** Connects to the mesh (see the module comment). */
export async function meshSqlBackend (init: MeshSqlBackendInit): Promise<SqlBackend> {
  const client = await MeshClient.connect({ mesh: init.mesh, ...(init.psk === undefined ? {} : { psk: init.psk }), ...(init.signal === undefined ? {} : { signal: init.signal }) })
  return new MeshSqlBackend(client, init)
}

/** Manifests a session keeps by CID (a version's manifest never changes). */
const MANIFEST_CACHE_SIZE = 256

/** A dataset version as the planner sees it, derived once from its manifest. */
interface PlannedVersion {
  readonly manifest: DatasetManifest
  readonly notNull: ReadonlySet<string>
  readonly distinct: Readonly<Record<string, number>>
}

class MeshSqlBackend implements SqlBackend {
  readonly where: string
  readonly #client: MeshClient
  readonly #parallelism: number
  #entries: Record<string, DatasetCatalogEntry> = {}
  /** The statistics the last catalog planned with, by table name (sent with the job). */
  #stats: Record<string, SqlTableStats> = {}
  readonly #versions = new Map<string, PlannedVersion>()
  /** The SQL job's bundled code: bundled once per session. */
  #code: Promise<string> | undefined
  /** The mesh's peers with their addresses, asked for a block the dialled peer lacks (refreshed when one is missing). */
  #peers: Promise<Array<{ id: string, addrs: string[] }>> | undefined

  constructor (client: MeshClient, init: MeshSqlBackendInit) {
    this.#client = client
    this.#parallelism = init.parallelism
    this.where = `the mesh at ${init.mesh}`
  }

  async #peerList (signal: AbortSignal | undefined, fresh: boolean): Promise<Array<{ id: string, addrs: string[] }>> {
    if (fresh || this.#peers === undefined) {
      const asking = this.#client.status(signal === undefined ? {} : { signal }).then(s => s.peers.map(p => ({ id: p.id, addrs: [...p.addrs] })))
      this.#peers = asking
      asking.catch(() => { if (this.#peers === asking) this.#peers = undefined })
    }
    return await this.#peers
  }

  /** A block of the mesh: from the dialled peer, else from any peer (a large value's chunks too). */
  async #bytes (cid: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const get = async (c: { toString: () => string }): Promise<Uint8Array> => {
      const opts = signal === undefined ? {} : { signal }
      try {
        return await this.#client.fetchBlock(c.toString(), { from: await this.#peerList(signal, false), ...opts })
      } catch (err) {
        if (!(err instanceof BlockNotFoundError)) throw err
        // the peers may have changed since they were listed
        return await this.#client.fetchBlock(c.toString(), { from: await this.#peerList(signal, true), ...opts })
      }
    }
    const first = await get(cid)
    if (!isLargeValueManifest(cid, first)) return first
    return await readLargeBytes(async c => c.toString() === cid ? first : await get(c), parseCid(cid), signal === undefined ? {} : { signal })
  }

  /** The version whose manifest is `cid`, read once per session. */
  async #version (cid: string, rows: number, signal: AbortSignal | undefined): Promise<PlannedVersion> {
    const known = this.#versions.get(cid)
    if (known !== undefined) return known
    const manifest = decodeDatasetManifest(await this.#bytes(cid, signal))
    const v = { manifest, notNull: notNullColumns(manifest), distinct: distinctEstimates(manifest, rows) }
    this.#versions.set(cid, v)
    for (const k of this.#versions.keys()) { if (this.#versions.size <= MANIFEST_CACHE_SIZE) break; this.#versions.delete(k) }
    return v
  }

  async catalog (options: { signal?: AbortSignal } = {}): Promise<SqlCatalog> {
    const tables = new Map<string, CatalogTable>()
    const entries: Record<string, DatasetCatalogEntry> = {}
    const stats: Record<string, SqlTableStats> = {}
    // one request for the list with each latest manifest's CID; manifests not read before are read at once
    const infos = await this.#client.datasets(options.signal === undefined ? {} : { signal: options.signal })
    const versions = await Promise.all(infos.map(async info => await this.#version(info.cid, info.rows, options.signal)))
    infos.forEach((info, i) => {
      const { manifest, notNull, distinct } = versions[i]!
      entries[`${info.name}@${info.version}`] = { schema: manifest.schema, rows: info.rows, partitioning: manifest.partitioning }
      stats[info.name] = { distinct, notNull: [...notNull] }
      const columns = datasetColumns({ name: info.name, version: info.version, schema: manifest.schema, rows: info.rows, partitioning: manifest.partitioning, notNull })
      tables.set(info.name, { kind: 'dataset', name: info.name, version: info.version, columns, rows: info.rows, partitioning: manifest.partitioning, distinct })
    })
    this.#entries = entries
    this.#stats = stats
    return { table: n => tables.get(n), tableNames: () => [...tables.keys()], parallelism: this.#parallelism }
  }

  /** The statistics of the tables `plan` scans, as this client planned with them. */
  #statsOf (plan: LogicalPlan): Record<string, SqlTableStats> {
    const out: Record<string, SqlTableStats> = {}
    for (const name of scannedTables(plan)) if (Object.hasOwn(this.#stats, name)) out[name] = this.#stats[name]!
    return out
  }

  async #run (spec: SqlJobSpec, name: string, signal: AbortSignal | undefined): Promise<void> {
    const opts = signal === undefined ? {} : { signal }
    this.#code ??= bundleJob(SQL_JOB).then(b => b.code)
    const code = this.#code
    code.catch(() => { if (this.#code === code) this.#code = undefined })
    // stored before each submission (one small block): the dialled peer may have collected it since
    const codeCid = await this.#client.storeCode(await code, opts)
    const jobId = await this.#client.submitCode(codeCid, { name, parallelism: this.#parallelism, args: { spec: JSON.stringify(spec) }, ...opts })
    const cancel = (): void => { void this.#client.cancel(jobId).catch(() => {}) } // the wait below ends with the job
    signal?.addEventListener('abort', cancel, { once: true })
    let ended
    try {
      ended = await this.#client.awaitJob(jobId)
    } finally {
      signal?.removeEventListener('abort', cancel)
    }
    signal?.throwIfAborted()
    if (ended.state !== 'FINISHED') throw new SqlPlanError(`The SQL job ${jobId} ended ${ended.state}${ended.error === undefined ? '' : `: ${ended.error}`}`)
  }

  async query (plan: LogicalPlan, text: string, options: { signal?: AbortSignal } = {}): Promise<unknown[][]> {
    const result = `sql-result-${randomUUID()}`
    try {
      await this.#run({ sql: text, result, tables: this.#statsOf(plan) }, 'sql query', options.signal)
      const detail = await this.#client.showDataset(result, options.signal === undefined ? {} : { signal: options.signal })
      const latest = detail.versions.at(-1)!
      const manifest = decodeDatasetManifest(await this.#bytes(latest.cid, options.signal))
      const names = manifest.schema.columns.map(c => c.name)
      if (names.length !== plan.columns.length) throw new SqlPlanError(`The mesh planned ${names.length} columns, this client ${plan.columns.length}: are the peers of another meshflow version?`)
      const rows: unknown[][] = []
      // the segments fetched at once, their rows taken in order
      const segments = await Promise.all(manifest.partitions.flat().map(async segment => await this.#bytes(segment.cid, options.signal)))
      for (const bytes of segments) {
        for (const r of segmentRows(bytes, manifest.schema)) rows.push(names.map(n => r[n] ?? null))
      }
      return rows
    } finally {
      await this.#client.dropDataset(result).catch(() => {}) // absent when the job failed before its commit
    }
  }

  async write (w: Parameters<SqlBackend['write']>[0], text: string, before: number, options: { signal?: AbortSignal } = {}): Promise<{ rows: number, version: number | undefined }> {
    await this.#run({ sql: text, tables: this.#statsOf(w.plan) }, `sql write ${w.target}`, options.signal)
    const detail = await this.#client.showDataset(w.target, options.signal === undefined ? {} : { signal: options.signal })
    return { rows: detail.rows - before, version: detail.version }
  }

  async graph (plan: LogicalPlan): Promise<JobGraph> {
    const env = StreamEnvironment.create({ parallelism: this.#parallelism })
    env.attachDatasetCatalog(datasetCatalogView(this.#entries, true))
    planPhysical(plan, { env, table: (name: string): DataSet<unknown[]> => { throw new Error(`No registered table '${name}'`) } }).collect()
    return env.getJobGraph()
  }

  async drop (name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#client.dropDataset(name, options.signal === undefined ? {} : { signal: options.signal })
  }

  async close (): Promise<void> {
    await this.#client.close()
  }
}

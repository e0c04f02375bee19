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

class MeshSqlBackend implements SqlBackend {
  readonly where: string
  readonly #client: MeshClient
  readonly #parallelism: number
  #entries: Record<string, DatasetCatalogEntry> = {}

  constructor (client: MeshClient, init: MeshSqlBackendInit) {
    this.#client = client
    this.#parallelism = init.parallelism
    this.where = `the mesh at ${init.mesh}`
  }

  /** A block of the mesh: from the dialled peer, else from any peer (a large value's chunks too). */
  async #bytes (cid: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const peers = (await this.#client.status(signal === undefined ? {} : { signal })).peers.map(p => ({ id: p.id, addrs: p.addrs }))
    const get = async (c: { toString: () => string }): Promise<Uint8Array> => await this.#client.fetchBlock(c.toString(), { from: peers, ...(signal === undefined ? {} : { signal }) })
    const first = await get(cid)
    if (!isLargeValueManifest(cid, first)) return first
    return await readLargeBytes(async c => c.toString() === cid ? first : await get(c), parseCid(cid), signal === undefined ? {} : { signal })
  }

  async #manifest (cid: string, signal: AbortSignal | undefined): Promise<DatasetManifest> {
    return decodeDatasetManifest(await this.#bytes(cid, signal))
  }

  async catalog (options: { signal?: AbortSignal } = {}): Promise<SqlCatalog> {
    const opts = options.signal === undefined ? {} : { signal: options.signal }
    const tables = new Map<string, CatalogTable>()
    const entries: Record<string, DatasetCatalogEntry> = {}
    for (const info of await this.#client.datasets(opts)) {
      const detail = await this.#client.showDataset(info.name, opts)
      const latest = detail.versions.at(-1)
      if (latest === undefined) continue
      const manifest = await this.#manifest(latest.cid, options.signal)
      const entry: DatasetCatalogEntry = { schema: manifest.schema, rows: latest.rows, partitioning: manifest.partitioning }
      entries[`${info.name}@${latest.version}`] = entry
      const columns = datasetColumns({ name: info.name, version: latest.version, schema: manifest.schema, rows: latest.rows, partitioning: manifest.partitioning, notNull: notNullColumns(manifest) })
      tables.set(info.name, { kind: 'dataset', name: info.name, version: latest.version, columns, rows: latest.rows, partitioning: manifest.partitioning, distinct: distinctEstimates(manifest, latest.rows) })
    }
    this.#entries = entries
    return { table: n => tables.get(n), tableNames: () => [...tables.keys()], parallelism: this.#parallelism }
  }

  async #run (spec: { sql: string, result?: string }, name: string, signal: AbortSignal | undefined): Promise<void> {
    const opts = signal === undefined ? {} : { signal }
    const jobId = await this.#client.submit(SQL_JOB, { name, parallelism: this.#parallelism, args: { spec: JSON.stringify(spec) }, ...opts })
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
      await this.#run({ sql: text, result }, 'sql query', options.signal)
      const detail = await this.#client.showDataset(result, options.signal === undefined ? {} : { signal: options.signal })
      const manifest = await this.#manifest(detail.versions.at(-1)!.cid, options.signal)
      const names = manifest.schema.columns.map(c => c.name)
      if (names.length !== plan.columns.length) throw new SqlPlanError(`The mesh planned ${names.length} columns, this client ${plan.columns.length}: are the peers of another meshflow version?`)
      const rows: unknown[][] = []
      for (const partition of manifest.partitions) {
        for (const segment of partition) {
          for (const r of segmentRows(await this.#bytes(segment.cid, options.signal), manifest.schema)) rows.push(names.map(n => r[n] ?? null))
        }
      }
      return rows
    } finally {
      await this.#client.dropDataset(result).catch(() => {}) // absent when the job failed before its commit
    }
  }

  async write (w: Parameters<SqlBackend['write']>[0], text: string, before: number, options: { signal?: AbortSignal } = {}): Promise<{ rows: number, version: number | undefined }> {
    await this.#run({ sql: text }, `sql write ${w.target}`, options.signal)
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

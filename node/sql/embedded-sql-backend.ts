/**
 * The SQL backend of the embedded peer over a data dir: a query runs in this process on the
 * peer's datasets (runInProcess: its tasks on the calling thread, in-memory channels, no
 * job in the log — a query's fixed cost is then a few milliseconds, not the JobManager's
 * rounds of a batch job), its rows collected here; INSERT INTO and CREATE TABLE AS run as
 * batch jobs of the peer, which commit their datasets. Plans are pinned to the dataset
 * versions they were planned against.
 *
 * @example
 * const backend = await embeddedSqlBackend({ dataDir: './meshflow-data', parallelism: 2 })
 */
import type { Peer } from '../cluster/peer.ts'
import type { CatalogTable, SqlCatalog } from './catalog.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { SqlBackend } from './sql-backend.ts'
import type { DataSet } from '../api/data-set.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { datasetCatalogView, type DatasetCatalogEntry } from '../api/dataset-catalog-view.ts'
import { resolveJobDatasets } from '../cluster/job-dataset-view.ts'
import { runInProcess, runOnPeer } from '../cluster/embedded-execution.ts'
import { datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { writeRows } from './sql-write-plan.ts'

export interface EmbeddedSqlBackendInit {
  readonly dataDir: string
  readonly parallelism: number
  readonly broadcastMaxRows?: number
}

/** Starts the embedded peer over `dataDir` (see the module comment). */
export async function embeddedSqlBackend (init: EmbeddedSqlBackendInit): Promise<SqlBackend & { readonly peer: Peer }> {
  const { Peer } = await import('../cluster/peer.ts')
  const peer = await Peer.start({ dataDir: init.dataDir, embedded: true, listen: [], resumeInterrupted: () => false })
  try {
    await peer.mark('meshflow sql', { timeoutMs: 30_000 })
  } catch (err) {
    await peer.stop()
    throw err
  }
  return new EmbeddedSqlBackend(peer, init)
}

class EmbeddedSqlBackend implements SqlBackend {
  readonly where: string
  /** The embedded peer (streaming statements run their jobs on it too). */
  readonly peer: Peer
  readonly #peer: Peer
  readonly #parallelism: number
  readonly #broadcastMaxRows: number | undefined
  /** Catalog entries of the versions the last catalog described, by `name@version`. */
  #entries: Record<string, DatasetCatalogEntry> = {}

  constructor (peer: Peer, init: EmbeddedSqlBackendInit) {
    this.#peer = peer
    this.peer = peer
    this.#parallelism = init.parallelism
    this.#broadcastMaxRows = init.broadcastMaxRows
    this.where = init.dataDir
  }

  async catalog (): Promise<SqlCatalog> {
    const source = this.#peer.jobService.datasetsSource()
    const names = source.catalog.datasets.map(d => d.name)
    const resolved = await resolveJobDatasets('sql', names.map(name => ({ name, version: undefined })), source)
    const tables = new Map<string, CatalogTable>()
    const entries: Record<string, DatasetCatalogEntry> = {}
    for (const name of names) {
      const version = resolved.pins[name]!
      const entry = resolved.entries[name]!
      entries[`${name}@${version}`] = entry
      const { notNull, distinct } = manifestFacts(resolved.manifests.get(name)!, entry.rows)
      const columns = datasetColumns({ name, version, schema: entry.schema, rows: entry.rows, partitioning: entry.partitioning, notNull })
      tables.set(name, { kind: 'dataset', name, version, columns, rows: entry.rows, partitioning: entry.partitioning, distinct })
    }
    this.#entries = entries
    return { table: n => tables.get(n), tableNames: () => [...tables.keys()], parallelism: this.#parallelism, ...(this.#broadcastMaxRows === undefined ? {} : { broadcastMaxRows: this.#broadcastMaxRows }) }
  }

  #environment (): StreamEnvironment {
    const env = StreamEnvironment.create({ parallelism: this.#parallelism })
    env.attachDatasetCatalog(datasetCatalogView(this.#entries, true))
    return env
  }

  async query (plan: LogicalPlan, _text: string, options: { signal?: AbortSignal } = {}): Promise<unknown[][]> {
    const env = this.#environment()
    const out = planPhysical(plan, { env, table: unknownTable }).collect()
    await runInProcess(this.#peer, env, 'sql query', options)
    return out.values
  }

  async write (w: Parameters<SqlBackend['write']>[0], _text: string, before: number, options: { signal?: AbortSignal } = {}): Promise<{ rows: number, version: number | undefined }> {
    const env = this.#environment()
    writeRows(planPhysical(w.plan, { env, table: unknownTable }), w)
    await runOnPeer(this.#peer, env, `sql write ${w.target}`, options)
    const after = this.#peer.jobService.registry.datasets.latest(w.target)
    return { rows: (after?.rows ?? 0) - before, version: after?.version }
  }

  async graph (plan: LogicalPlan): Promise<ReturnType<StreamEnvironment['getJobGraph']>> {
    const env = this.#environment()
    planPhysical(plan, { env, table: unknownTable }).collect()
    return env.getJobGraph()
  }

  async drop (name: string): Promise<void> {
    await this.#peer.jobService.dropDataset(name)
  }

  async close (): Promise<void> {
    await this.#peer.stop()
  }
}

function unknownTable (name: string): DataSet<unknown[]> {
  throw new Error(`No registered table '${name}' in a SQL session`)
}

/** What the planner learns from a manifest's statistics, by manifest (decoded once per version by the peer's ManifestCache). */
const facts = new WeakMap<DatasetManifest, { rows: number, notNull: Set<string>, distinct: Record<string, number> }>()

/** `notNullColumns` and `distinctEstimates` of a version: computed once, not per statement (a manifest never changes). */
function manifestFacts (manifest: DatasetManifest, rows: number): { notNull: Set<string>, distinct: Record<string, number> } {
  let f = facts.get(manifest)
  if (f === undefined || f.rows !== rows) facts.set(manifest, f = { rows, notNull: notNullColumns(manifest), distinct: distinctEstimates(manifest, rows) })
  return f
}

/**
 * Distinct values of the numeric (and timestamp) columns, estimated from their min and max
 * over all segments as for integer keys: at most max - min + 1, and at most the rows. A
 * guess for the join order (a key column's count is right, a continuous measure's too low,
 * which only makes joins on it look larger); other columns are left out (taken as unique).
 */
export function distinctEstimates (manifest: DatasetManifest, rows: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of manifest.schema.columns) {
    if (c.type !== 'number' && c.type !== 'int64' && c.type !== 'timestamp') continue
    let min = Infinity
    let max = -Infinity
    for (const p of manifest.partitions) {
      for (const s of p) {
        const st = s.stats[c.name]
        if (st?.min === null || st?.min === undefined || st.max === null) continue
        min = Math.min(min, Number(st.min))
        max = Math.max(max, Number(st.max))
      }
    }
    if (Number.isFinite(min) && Number.isFinite(max)) out[c.name] = Math.max(1, Math.min(rows, Math.floor(max - min) + 1))
  }
  return out
}

/** Columns with no NULL in any segment of the version (its statistics say so). */
export function notNullColumns (manifest: DatasetManifest): Set<string> {
  const out = new Set<string>()
  for (const c of manifest.schema.columns) {
    if (manifest.partitions.every(p => p.every(s => s.stats[c.name]?.nulls === 0))) out.add(c.name)
  }
  return out
}

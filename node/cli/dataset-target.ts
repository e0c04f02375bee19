/**
 * Where a dataset command works: the mesh named by `--mesh` (or MESHFLOW_MESH), reached
 * through a MeshClient, or — without a mesh — the embedded peer over `--data-dir` (default
 * `./meshflow-data`), the same store `meshflow run` uses. Both answer the same questions,
 * so each command is written once.
 *
 * @example
 * const target = await openDatasetTarget(command, io, 'datasets')
 * try { console.log(await target.datasets()) } finally { await target.close() }
 */
import { resolve } from 'node:path'
import type { Peer } from '../cluster/peer.ts'
import type { DatasetDetail, DatasetInfo } from '../../protocol/client-datasets.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import type { CliIo } from './cli-io.ts'
import type { DatasetTargetFlags } from './dataset-command-line.ts'
import { DEFAULT_EMBEDDED_DATA_DIR } from './embedded-run.ts'
import { PeerStartError, UsageError } from './errors.ts'

/** What a job submitted by a dataset command needs. */
export interface DatasetJobOptions {
  readonly name: string
  readonly parallelism: number
  readonly args: Record<string, string>
}

/** The mesh, or the embedded peer, as the dataset commands use it. */
export interface DatasetTarget {
  /** `the mesh at MA` or `DIR` (the embedded peer's data dir), for messages. */
  readonly where: string
  /** True for the embedded peer (its jobs read files in this process). */
  readonly embedded: boolean
  datasets(): Promise<DatasetInfo[]>
  /** @throws {RemoteError} code `not-found` for a dataset that does not exist */
  showDataset(name: string): Promise<DatasetDetail>
  dropDataset(name: string): Promise<void>
  /** Peers of the mesh (1 for the embedded peer): a block's copies are `min(3, peers)`. */
  peers(): Promise<number>
  /** Free task slots of the mesh (the embedded peer: one per core). */
  freeSlots(): Promise<number>
  submit(path: string, options: DatasetJobOptions): Promise<string>
  awaitJob(jobId: string): Promise<{ state: string, error: string | undefined }>
  /** The error a job failed with in this process (embedded), with its cause chain. */
  localFailure(jobId: string): unknown
  cancel(jobId: string): Promise<void>
  close(): Promise<void>
}

/** Opens the target of `flags`; `command` names the command in messages. */
export async function openDatasetTarget (flags: DatasetTargetFlags, io: CliIo, command: string): Promise<DatasetTarget> {
  const fromEnv = io.env.MESHFLOW_MESH
  if (flags.mesh !== undefined || (fromEnv !== undefined && fromEnv !== '')) {
    if (flags.dataDir !== undefined) throw new UsageError('--data-dir is for the embedded peer (without --mesh): a mesh keeps its own data')
    return await meshTarget(flags, io, command)
  }
  if (flags.psk !== undefined) throw new UsageError('--psk needs --mesh: it is the key of the mesh to reach')
  return await embeddedTarget(flags, io)
}

async function meshTarget (flags: DatasetTargetFlags, io: CliIo, command: string): Promise<DatasetTarget> {
  const { connectMesh } = await import('./mesh-client-connect.ts')
  const { client, mesh } = await connectMesh(flags, io, command)
  const opts = (): { signal?: AbortSignal } => io.signal === undefined ? {} : { signal: io.signal }
  return {
    where: `the mesh at ${mesh}`,
    embedded: false,
    datasets: async () => await client.datasets(opts()),
    showDataset: async name => await client.showDataset(name, opts()),
    dropDataset: async name => { await client.dropDataset(name, opts()) },
    peers: async () => (await client.status(opts())).peers.length,
    freeSlots: async () => (await client.status(opts())).peers.reduce((n, p) => n + p.freeSlots, 0),
    submit: async (path, o) => await client.submit(path, { ...o, ...opts() }),
    awaitJob: async jobId => await client.awaitJob(jobId, opts()),
    localFailure: () => undefined,
    cancel: async jobId => { await client.cancel(jobId).catch(() => {}) },
    close: async () => { await client.close() }
  }
}

async function embeddedTarget (flags: DatasetTargetFlags, io: CliIo): Promise<DatasetTarget> {
  const { Peer: PeerClass } = await import('../cluster/peer.ts')
  const { availableParallelism } = await import('node:os')
  const fromEnv = io.env.MESHFLOW_DATA_DIR
  const dataDir = resolve(io.cwd, flags.dataDir ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_EMBEDDED_DATA_DIR))
  let peer: Peer
  try {
    // an import or export killed half-way is not resumed: its dataset never saw a version
    peer = await PeerClass.start({ dataDir, embedded: true, listen: [], resumeInterrupted: () => false, ...warm(flags) })
  } catch (err) {
    throw new PeerStartError(`Cannot start the embedded peer in ${dataDir}: ${errorMessage(err)}`, { cause: err })
  }
  try {
    // every entry an earlier run committed is applied before the catalog is read
    await peer.mark('meshflow dataset', { timeoutMs: 30_000, ...(io.signal === undefined ? {} : { signal: io.signal }) })
  } catch (err) {
    await peer.stop()
    throw err
  }
  const service = peer.jobService
  return {
    where: dataDir,
    embedded: true,
    datasets: async () => await service.datasets(),
    showDataset: async name => await service.showDataset(name),
    dropDataset: async name => { await service.dropDataset(name) },
    peers: async () => 1,
    freeSlots: async () => availableParallelism(),
    submit: async (path, o) => await service.submit(path, o),
    awaitJob: async jobId => await service.result(jobId),
    localFailure: jobId => service.localFailure(jobId),
    cancel: async jobId => { await service.cancel(jobId).catch(() => {}) },
    close: async () => { await peer.stop() }
  }
}

/**
 * The engine and file connector modules the import and export jobs load, for the task
 * threads to load while the peer starts (see PeerInit.warmThreads); nothing for commands
 * that run no job.
 */
function warm (flags: DatasetTargetFlags): { warmThreads?: string[] } {
  const type = (flags as { type?: string }).type
  if (type !== 'dataset-import' && type !== 'dataset-export') return {}
  return { warmThreads: [import.meta.resolve('meshflow'), import.meta.resolve('meshflow/connectors/files')] }
}

/** Whether `err` says that a dataset does not exist (a `not-found` answer). */
export function isNotFound (err: unknown): boolean {
  return err instanceof Error && ((err as Error & { code?: unknown }).code === 'not-found' || err.name === 'DatasetNotFoundError')
}

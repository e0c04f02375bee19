/**
 * A client of a mesh that is not itself a peer (the CLI's `status`, `jobs`, …): a libp2p
 * node that listens nowhere, dials one peer of the mesh and sends it client requests; that
 * peer answers or forwards to the leader.
 *
 * @example
 * const client = await MeshClient.connect({ mesh: '/ip4/127.0.0.1/tcp/7000' })
 * console.log(await client.status())
 * await client.close()
 */
import { randomUUID } from 'node:crypto'
import { sendSubmission } from './resubmission.ts'
import type { PeerId } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ClientRequest } from '../../protocol/client.ts'
import { createMeshHost, parseMultiaddr, type MeshLibp2p } from '../mesh/mesh-host.ts'
import { asError } from '../mesh/as-error.ts'
import type { DatasetCommitMode, DatasetDetail, DatasetInfo, JobInfo, JobState, SavepointInfo, SavepointStopMode } from '../../protocol/client.ts'
import { BlockClient } from '../storage/block-client.ts'
import { writeLarge } from '../storage/chunking.ts'
import { bundleJob } from './job-bundle.ts'
import { clientRequest } from './client-request.ts'
import { RemoteError } from './errors.ts'
import type { SubmitOptions } from './job-service.ts'
import { BlockNotFoundError } from '../storage/block-errors.ts'
import { parseCid } from '../../protocol/cid.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerStatus } from './peer.ts'

/**
 * How long `savepoint` waits by default: a savepoint waits for every subtask's snapshot,
 * and a stop with `drain` for every window to fire (Flink's default checkpoint timeout).
 */
export const SAVEPOINT_TIMEOUT_MS = 10 * 60_000

/** A savepoint that was taken: checkpoint `checkpointId` of job `jobId`, its manifest at `cid`. */
export interface SavepointResult {
  readonly jobId: string
  readonly name: string
  readonly checkpointId: number
  readonly cid: string
}

export interface MeshClientInit {
  /** Multiaddr of any peer of the mesh; `/p2p/<id>` may be left out. */
  readonly mesh: string
  /** The mesh's pre-shared key, when it is private. */
  readonly psk?: Uint8Array
  readonly signal?: AbortSignal
}

/** How a job is submitted (`MeshClient.submit`, `submitCode`). */
export interface SubmitJobOptions extends SubmitOptions {
  readonly signal?: AbortSignal
}

/** How often a submission is sent when the mesh answers that it may retry (no leader, leadership lost). */
const SUBMIT_ATTEMPTS = 6
/** The pause before the next attempt grows by this much each time. */
const SUBMIT_RETRY_MS = 500

export class MeshClient {
  readonly #host: MeshLibp2p
  readonly #peer: PeerId
  #nextId = 0
  #blocks: BlockClient | undefined

  private constructor (host: MeshLibp2p, peer: PeerId) {
    this.#host = host
    this.#peer = peer
  }

  static async connect (init: MeshClientInit): Promise<MeshClient> {
    const address = parseMultiaddr(init.mesh)
    const host = await createMeshHost({
      listen: [],
      mdns: false,
      privateKey: await generateKeyPair('Ed25519'),
      ...(init.psk === undefined ? {} : { psk: init.psk })
    })
    try {
      const connection = await host.dial(address, { signal: init.signal ?? AbortSignal.timeout(5000) })
      return new MeshClient(host, connection.remotePeer)
    } catch (err) {
      await host.stop()
      // libp2p may reject with a stream's 'close' Event: give it a message
      throw asError(err)
    }
  }

  async #request (request: ClientRequest, signal: AbortSignal | undefined): Promise<Awaited<ReturnType<typeof clientRequest>>> {
    return await clientRequest(this.#host, this.#peer, request, { signal: signal ?? AbortSignal.timeout(10_000) })
  }

  /** The mesh as the dialled peer sees it (`meshflow status --json`). */
  async status (options: { signal?: AbortSignal } = {}): Promise<PeerStatus> {
    const answer = await this.#request({ type: 'status-request', id: ++this.#nextId }, options.signal)
    if (answer.type !== 'status-response') throw new RemoteError('internal', `Expected a status response, got ${answer.type}`, false)
    const { type: _t, id: _i, ...status } = answer
    return status
  }

  /**
   * Commits a marker entry, which changes nothing, to the mesh's metadata log: proves that
   * the log accepts writes (a health check; tests follow the log through failovers with it).
   */
  async mark (text: string, options: { signal?: AbortSignal } = {}): Promise<{ index: number, term: number }> {
    const answer = await this.#request({ type: 'mark-request', id: ++this.#nextId, text }, options.signal)
    if (answer.type !== 'mark-response') throw new RemoteError('internal', `Expected a mark response, got ${answer.type}`, false)
    return { index: answer.index, term: answer.term }
  }

  /**
   * Bundles the job module at `path`, stores its code on the dialled peer and submits it;
   * resolves with the job id once the JobManager has recorded the job.
   */
  async submit (path: string, options: SubmitJobOptions & { cwd?: string }): Promise<string> {
    const bundle = await bundleJob(path, options.cwd === undefined ? {} : { cwd: options.cwd })
    const codeCid = await this.storeCode(bundle.code, options.signal === undefined ? {} : { signal: options.signal })
    return await this.submitCode(codeCid, options)
  }

  /**
   * Stores a job bundle's code (`bundleJob`) on the dialled peer; resolves with its CID, the
   * `codeCid` of `submitCode`. The same code has the same CID: a client submitting one
   * module again bundles it once and stores it before each submission (the JobManager
   * loads the code of a CID once).
   */
  async storeCode (code: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const blocks = this.#blocks ??= new BlockClient({ host: this.#host })
    const peer = this.#peer
    const codeCid = await writeLarge({
      putMany: async (list, opts) => await Promise.all(list.map(async data => await blocks.put(peer, data, opts?.signal === undefined ? {} : { signal: opts.signal })))
    }, new TextEncoder().encode(code), options.signal === undefined ? {} : { signal: options.signal })
    return codeCid.toString()
  }

  /** Submits the job whose code `storeCode` stored as `codeCid`; resolves with the job id once the JobManager has recorded the job. */
  async submitCode (codeCid: string, options: SubmitJobOptions): Promise<string> {
    // the id is chosen here, so the submission can be sent again when the leadership changes
    // before its answer comes: the JobManager answers a repeat with the job it made
    const jobId = randomUUID()
    const request = {
      type: 'submit-job' as const,
      name: options.name,
      codeCid,
      args: { ...(options.args ?? {}) },
      parallelism: options.parallelism,
      ...(options.maxParallelism === undefined ? {} : { maxParallelism: options.maxParallelism }),
      submitter: this.#peer.toString(),
      ...(options.fromSavepoint === undefined ? {} : { fromSavepoint: options.fromSavepoint }),
      ...(options.allowNonRestoredState === undefined ? {} : { allowNonRestoredState: options.allowNonRestoredState }),
      jobId
    }
    const signal = options.signal ?? AbortSignal.timeout(60_000)
    return await sendSubmission(async () => {
      const answer = await this.#request({ ...request, id: ++this.#nextId }, signal)
      if (answer.type !== 'submit-job-response') throw new RemoteError('internal', `Expected a submit response, got ${answer.type}`, false)
      return answer.jobId
    }, signal)
  }

  /** Resolves when the job has finished, failed or been cancelled. */
  async awaitJob (jobId: string, options: { signal?: AbortSignal } = {}): Promise<{ state: JobState, error: string | undefined }> {
    const answer = await clientRequest(this.#host, this.#peer, { type: 'await-job', id: ++this.#nextId, jobId }, options.signal === undefined ? {} : { signal: options.signal })
    if (answer.type !== 'job-result') throw new RemoteError('internal', `Expected a job result, got ${answer.type}`, false)
    return { state: answer.state, error: answer.error }
  }

  /** Every job of the mesh (`meshflow jobs --json`). */
  async jobs (options: { signal?: AbortSignal } = {}): Promise<JobInfo[]> {
    const answer = await this.#request({ type: 'jobs-request', id: ++this.#nextId }, options.signal)
    if (answer.type !== 'jobs-response') throw new RemoteError('internal', `Expected a jobs response, got ${answer.type}`, false)
    return [...answer.jobs]
  }

  async cancel (jobId: string, options: { signal?: AbortSignal } = {}): Promise<JobState> {
    const answer = await this.#request({ type: 'cancel-job', id: ++this.#nextId, jobId }, options.signal)
    if (answer.type !== 'cancel-job-response') throw new RemoteError('internal', `Expected a cancel response, got ${answer.type}`, false)
    return answer.state
  }

  /**
   * Takes a savepoint of a running job under `name` (`meshflow savepoint JOB_ID NAME`);
   * with `stop` the job then ends (`meshflow stop JOB_ID --savepoint NAME [--drain]`).
   * Resolves once the savepoint is complete and its name is committed. Not retried: a
   * second request could take a second savepoint.
   *
   * @throws {RemoteError} `not-found` for an unknown job, `bad-request` for a job that is not
   * running or a name already taken
   */
  async savepoint (jobId: string, name: string, options: { stop?: SavepointStopMode, signal?: AbortSignal } = {}): Promise<SavepointResult> {
    const answer = await this.#request({
      type: 'trigger-savepoint', id: ++this.#nextId, jobId, name, ...(options.stop === undefined ? {} : { stop: options.stop })
    }, options.signal ?? AbortSignal.timeout(SAVEPOINT_TIMEOUT_MS))
    if (answer.type !== 'savepoint-response') throw new RemoteError('internal', `Expected a savepoint response, got ${answer.type}`, false)
    return { jobId: answer.jobId, name: answer.name, checkpointId: answer.checkpointId, cid: answer.cid }
  }

  /** Every savepoint of the mesh (`meshflow savepoints --json`). */
  async savepoints (options: { signal?: AbortSignal } = {}): Promise<SavepointInfo[]> {
    const answer = await this.#request({ type: 'savepoints-request', id: ++this.#nextId }, options.signal)
    if (answer.type !== 'savepoints-response') throw new RemoteError('internal', `Expected a savepoints response, got ${answer.type}`, false)
    return [...answer.savepoints]
  }

  /**
   * Deletes the savepoint `name` (`meshflow savepoint --delete NAME`).
   *
   * @throws {RemoteError} `not-found` when no savepoint has that name
   */
  async deleteSavepoint (name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const answer = await this.#request({ type: 'delete-savepoint', id: ++this.#nextId, name }, options.signal)
    if (answer.type !== 'delete-savepoint-response') throw new RemoteError('internal', `Expected a delete-savepoint response, got ${answer.type}`, false)
  }

  /** Every dataset of the mesh (`meshflow datasets --json`). */
  async datasets (options: { signal?: AbortSignal } = {}): Promise<DatasetInfo[]> {
    const answer = await this.#request({ type: 'datasets-request', id: ++this.#nextId }, options.signal)
    if (answer.type !== 'datasets-response') throw new RemoteError('internal', `Expected a datasets response, got ${answer.type}`, false)
    return [...answer.datasets]
  }

  /**
   * One dataset in detail (`meshflow dataset show NAME --json`): schema, retained versions,
   * and per partition its segments and the peers that hold them.
   *
   * @throws {RemoteError} `not-found` when no dataset has that name
   */
  async showDataset (name: string, options: { signal?: AbortSignal } = {}): Promise<DatasetDetail> {
    const answer = await this.#request({ type: 'dataset-show', id: ++this.#nextId, name }, options.signal ?? AbortSignal.timeout(30_000))
    if (answer.type !== 'dataset-show-response') throw new RemoteError('internal', `Expected a dataset-show response, got ${answer.type}`, false)
    return answer.dataset
  }

  /**
   * Commits the manifest block `manifestCid` (stored in the mesh with its segments) as the
   * next version of dataset `name`. With `expectedVersion` (the latest version the writer
   * read, 0 for a new dataset) a concurrent commit makes this one fail instead.
   *
   * @throws {RemoteError} `bad-request` naming what is wrong (a stale version, a changed
   * column, another partitioning for an append, a segment not stored)
   */
  async commitDataset (name: string, options: { manifestCid: string, expectedVersion?: number, mode?: DatasetCommitMode, commitId?: string, signal?: AbortSignal }): Promise<{ name: string, version: number, cid: string }> {
    const answer = await this.#request({
      type: 'dataset-commit', id: ++this.#nextId, name, manifestCid: options.manifestCid,
      ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.commitId === undefined ? {} : { commitId: options.commitId })
    }, options.signal ?? AbortSignal.timeout(60_000))
    if (answer.type !== 'dataset-commit-response') throw new RemoteError('internal', `Expected a dataset-commit response, got ${answer.type}`, false)
    return { name: answer.name, version: answer.version, cid: answer.cid }
  }

  /**
   * Drops dataset `name` with every version (`meshflow dataset rm NAME`); its blocks become garbage.
   *
   * @throws {RemoteError} `not-found` when no dataset has that name, `bad-request` while a running job reads it
   */
  async dropDataset (name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const answer = await this.#request({ type: 'dataset-drop', id: ++this.#nextId, name }, options.signal ?? AbortSignal.timeout(30_000))
    if (answer.type !== 'dataset-drop-response') throw new RemoteError('internal', `Expected a dataset-drop response, got ${answer.type}`, false)
  }

  /**
   * A block's bytes, checked against its CID: asked of the dialled peer, then of `from`
   * (peers with their addresses, e.g. the holders `status` and `dataset show` name).
   *
   * @throws {BlockNotFoundError} naming the CID when no peer asked holds it
   */
  async fetchBlock (cid: string, options: { from?: readonly { readonly id: string, readonly addrs: readonly string[] }[], signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const blocks = this.#blocks ??= new BlockClient({ host: this.#host })
    const parsed = parseCid(cid)
    const attempts: { peer: string, outcome: string }[] = []
    const candidates = [{ id: this.#peer.toString(), addrs: [] as readonly string[] }, ...(options.from ?? []).filter(p => p.id !== this.#peer.toString())]
    for (const p of candidates) {
      try {
        const id = peerIdFromString(p.id)
        if (p.addrs.length > 0) await this.#host.peerStore.merge(id, { multiaddrs: p.addrs.map(a => parseMultiaddr(a)) })
        const bytes = await blocks.get(id, parsed, options.signal === undefined ? {} : { signal: options.signal })
        if (bytes !== undefined) return bytes
        attempts.push({ peer: p.id, outcome: 'not found' })
      } catch (err) {
        options.signal?.throwIfAborted()
        attempts.push({ peer: p.id, outcome: err instanceof Error ? err.message : String(err) })
      }
    }
    throw new BlockNotFoundError(cid, attempts)
  }

  /** The peer id of the dialled peer. */
  get peerId (): string { return this.#peer.toString() }

  async close (): Promise<void> {
    await this.#blocks?.stop()
    await this.#host.stop()
  }
}

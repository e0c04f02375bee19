/**
 * The mesh's datasets seen from a task thread: a worker has no block store and no client of
 * the JobManager, so its DatasetAccess forwards each call to the main thread of its peer,
 * which runs it on the peer's DatasetAccess and posts back the result (or the error, with
 * its name and message). Segments are copied across, not transferred: the bytes the main
 * thread holds may be a view of a buffer it still uses.
 *
 * @example
 * // worker: const datasets = new DatasetAccessProxy(m => { post({ ...m, runId }) })
 * // main:   answerDatasetCall(access, m, signal).then(reply => worker.postMessage(reply))
 */
import type { DatasetAccess, DatasetCommit } from '../../api/dataset-access.ts'
import type { DatasetManifest, DatasetVersionRef } from '../../storage/datasets/dataset-types.ts'
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import type { SegmentColumnCache } from '../../storage/datasets/segment-column-cache.ts'
import { readSegment, type SegmentView } from '../../storage/datasets/segment-reader.ts'
import { errorMessage } from '../../../protocol/error-message.ts'
import type { ErrorText } from './thread-messages.ts'
import { abortable } from '../abortable.ts'

/** The calls a worker forwards. */
export type DatasetCall =
  | { readonly method: 'manifest', readonly name: string, readonly version?: number }
  | { readonly method: 'readSegment', readonly cid: string }
  | { readonly method: 'writeSegment', readonly bytes: Uint8Array }
  | { readonly method: 'commit', readonly commit: DatasetCommit }

/** A call as it crosses to the main thread. */
export interface DatasetCallMessage { readonly seq: number, readonly call: DatasetCall }

/** The main thread's answer to a call. */
export type DatasetReplyMessage =
  | { readonly seq: number, readonly ok: true, readonly value: unknown }
  | { readonly seq: number, readonly ok: false, readonly error: ErrorText }

/** Runs a forwarded call on the peer's DatasetAccess; never rejects (a failure is a reply). */
export async function answerDatasetCall (access: DatasetAccess | undefined, m: DatasetCallMessage, signal: AbortSignal): Promise<DatasetReplyMessage> {
  try {
    if (access === undefined) throw new Error('This peer has no datasets')
    const o = { signal }
    const call = m.call
    let value: unknown
    switch (call?.method) {
      case 'manifest': value = await access.manifest(call.name, call.version === undefined ? o : { ...o, version: call.version }); break
      case 'readSegment': value = await access.readSegment(call.cid, o); break
      case 'writeSegment': value = await access.writeSegment(call.bytes, o); break
      case 'commit': value = await access.commit(call.commit, o); break
      default: throw new Error(`Unknown dataset call ${JSON.stringify((call as { method?: unknown } | undefined)?.method)}`)
    }
    return { seq: m.seq, ok: true, value }
  } catch (err) {
    return { seq: m.seq, ok: false, error: { name: err instanceof Error ? err.name : 'Error', message: errorMessage(err) } }
  }
}

/**
 * A worker's DatasetAccess: every call goes to the main thread, except the columns of a
 * segment its thread's column cache holds already (`columns`, kept across runs: a thread's
 * scans read segments the main thread's cache never sees).
 */
export class DatasetAccessProxy implements DatasetAccess {
  readonly #send: (m: DatasetCallMessage) => void
  readonly #columns: SegmentColumnCache | undefined
  readonly #pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  #seq = 0

  constructor (send: (m: DatasetCallMessage) => void, init: { readonly columns?: SegmentColumnCache } = {}) {
    this.#send = send
    this.#columns = init.columns
  }

  async manifest (name: string, options: { version?: number, signal?: AbortSignal } = {}): Promise<DatasetManifest> {
    return await this.#call({ method: 'manifest', name, ...(options.version === undefined ? {} : { version: options.version }) }, options.signal) as DatasetManifest
  }

  async readSegment (cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return await this.#call({ method: 'readSegment', cid }, options.signal) as Uint8Array
  }

  async readColumns (cid: string, schema: DatasetSchema, columns: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SegmentView> {
    options.signal?.throwIfAborted()
    // not cancelled with this read: another scan may share the load (see SegmentColumnCache)
    const load = async (): Promise<Uint8Array> => await this.readSegment(cid)
    if (this.#columns === undefined) return readSegment(await load(), schema, { columns })
    return await this.#columns.read(cid, schema, columns, load)
  }

  async writeSegment (bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    return await this.#call({ method: 'writeSegment', bytes }, options.signal) as string
  }

  async commit (commit: DatasetCommit, options: { signal?: AbortSignal } = {}): Promise<DatasetVersionRef> {
    return await this.#call({ method: 'commit', commit }, options.signal) as DatasetVersionRef
  }

  /** The main thread answered a call. */
  onReply (m: DatasetReplyMessage): void {
    const p = this.#pending.get(m.seq)
    if (p === undefined) return
    this.#pending.delete(m.seq)
    if (m.ok) p.resolve(m.value)
    else {
      const err = new Error(m.error.message)
      err.name = m.error.name
      p.reject(err)
    }
  }

  /** The run ended: calls still waiting reject with `reason`. */
  close (reason: Error): void {
    for (const p of this.#pending.values()) p.reject(reason)
    this.#pending.clear()
  }

  async #call (call: DatasetCall, signal: AbortSignal | undefined): Promise<unknown> {
    signal?.throwIfAborted()
    const seq = ++this.#seq
    const answer = new Promise<unknown>((resolve, reject) => { this.#pending.set(seq, { resolve, reject }) })
    this.#send({ seq, call })
    if (signal === undefined) return await answer
    try {
      return await abortable(answer, signal)
    } finally {
      this.#pending.delete(seq)
    }
  }
}

/**
 * The manifest of a completed checkpoint or savepoint: for every operator of the job (by
 * operator id, which is its `uid` when it has one), its parallelism and, per subtask, the
 * CIDs of its keyed-state chunks and its list state. The manifest is stored as one block;
 * its CID is what the metadata log records.
 *
 * Restoring (`planRestore`) matches operators by id, so a savepoint restores into a changed
 * job as long as the stateful operators keep their uids; state of an operator missing from
 * the new job fails the restore (naming the uid) unless non-restored state is allowed. Keyed
 * state redistributes by key group, so the new job may run at another parallelism.
 */
import { decodeCbor, encodeCbor } from '../../protocol/cbor.ts'
import { keyGroupRange } from '../graph/key-groups.ts'
import type { JobGraph, JobVertex } from '../graph/job-graph.ts'
import type { CheckpointKind, RestoredOperatorState } from './checkpoint.ts'
import { StateRestoreError } from './errors.ts'

/** One subtask's state of one operator. */
export interface ManifestSubtask {
  readonly keyed: readonly string[]
  readonly list: readonly unknown[]
}

export interface ManifestOperator {
  readonly id: string
  readonly uid: string | undefined
  readonly name: string
  readonly parallelism: number
  readonly maxParallelism: number
  /** One entry per subtask, in subtask order. */
  readonly subtasks: readonly ManifestSubtask[]
}

export interface CheckpointManifest {
  readonly version: 1
  readonly jobId: string
  readonly jobName: string
  readonly checkpointId: number
  readonly kind: CheckpointKind
  /** Set for savepoints. */
  readonly savepoint: string | undefined
  /** The checkpoint taken after every task's input ended. */
  readonly final: boolean
  readonly createdAt: number
  readonly operators: readonly ManifestOperator[]
}

const PROTOCOL = 'checkpoint manifest'

export function encodeManifest (m: CheckpointManifest): Uint8Array {
  return encodeCbor({ ...m, savepoint: m.savepoint ?? null, operators: m.operators.map(o => ({ ...o, uid: o.uid ?? null })) })
}

export function decodeManifest (bytes: Uint8Array): CheckpointManifest {
  const raw = decodeCbor(PROTOCOL, bytes) as Record<string, any>
  if (raw === null || typeof raw !== 'object' || raw.version !== 1 || !Array.isArray(raw.operators) || !Number.isSafeInteger(raw.checkpointId)) {
    throw new StateRestoreError('The block is not a checkpoint manifest (version 1)')
  }
  for (const o of raw.operators as unknown[]) {
    const op = o as Record<string, unknown> | null
    const valid = op !== null && typeof op === 'object' && typeof op.id === 'string' && typeof op.name === 'string' &&
      Number.isSafeInteger(op.parallelism) && Number.isSafeInteger(op.maxParallelism) && Array.isArray(op.subtasks) &&
      op.subtasks.length === op.parallelism &&
      (op.subtasks as unknown[]).every(s => s !== null && typeof s === 'object' && Array.isArray((s as ManifestSubtask).keyed) &&
        (s as ManifestSubtask).keyed.every(c => typeof c === 'string') && Array.isArray((s as ManifestSubtask).list))
    if (!valid) throw new StateRestoreError(`The checkpoint manifest has a malformed operator entry (${typeof op?.id === 'string' ? `operator ${op.id}` : 'no id'})`)
  }
  return {
    ...raw,
    savepoint: raw.savepoint ?? undefined,
    operators: raw.operators.map((o: any) => ({ ...o, uid: o.uid ?? undefined }))
  } as unknown as CheckpointManifest
}

/** Every keyed-state chunk CID a manifest references (for replication and garbage collection). */
export function manifestReferences (m: CheckpointManifest): string[] {
  const cids = new Set<string>()
  for (const o of m.operators) for (const s of o.subtasks) for (const c of s.keyed) cids.add(c)
  return [...cids]
}

/** What the tasks of one job restore from: operator id -> the manifest's entry. */
export interface RestorePlan {
  readonly checkpointId: number
  readonly operators: ReadonlyMap<string, ManifestOperator>
}

/**
 * Checks that `manifest` can restore into `graph` and returns the plan.
 *
 * @throws {StateRestoreError} naming the operator's uid when its state has no operator in
 *   the new job (unless `allowNonRestoredState`), or when its key-group count changed
 */
export function planRestore (manifest: CheckpointManifest, graph: JobGraph, options: { allowNonRestoredState?: boolean } = {}): RestorePlan {
  const present = new Map<string, { vertex: JobVertex, isSourceHead: boolean }>()
  for (const v of graph.vertices) v.operators.forEach((op, i) => { present.set(op.id, { vertex: v, isSourceHead: i === 0 && v.source !== undefined }) })
  const operators = new Map<string, ManifestOperator>()
  const missing: string[] = []
  for (const o of manifest.operators) {
    const hasState = o.subtasks.some(s => s.keyed.length > 0 || s.list.length > 0)
    const target = present.get(o.id)
    if (target === undefined) {
      if (hasState && options.allowNonRestoredState !== true) missing.push(o.uid === undefined ? `operator '${o.name}' (no uid, id ${o.id})` : `operator uid '${o.uid}'`)
      continue
    }
    if (o.maxParallelism !== target.vertex.maxParallelism && o.subtasks.some(s => s.keyed.length > 0)) {
      throw new StateRestoreError(`Operator '${o.uid ?? o.name}' was checkpointed with ${o.maxParallelism} key groups (max parallelism) and now has ${target.vertex.maxParallelism}; keyed state cannot be redistributed between different max parallelisms`)
    }
    operators.set(o.id, o)
  }
  if (missing.length > 0) {
    const what = manifest.savepoint === undefined ? 'checkpoint' : `savepoint '${manifest.savepoint}'`
    throw new StateRestoreError(`The ${what} holds state of ${missing.length === 1 ? missing[0]! : `${missing.length} operators`} the job does not have${missing.length === 1 ? '' : ` (${missing.join(', ')})`}; give the operators the same uid, or allow non-restored state (--allow-non-restored-state)`)
  }
  return { checkpointId: manifest.checkpointId, operators }
}

/** The part of the saved state subtask `subtask` (of `parallelism`) restores, before chunks are loaded. */
export interface SubtaskRestore {
  readonly keyedCids: readonly string[]
  readonly list: readonly unknown[]
  readonly keyGroups: { readonly start: number, readonly end: number }
}

/**
 * Redistributes one operator's state to subtask `subtask` of `parallelism`: keyed chunks of
 * every old subtask whose key groups overlap the new range (in old subtask order); list
 * elements by subtask when the parallelism is unchanged, else round-robin over all of them.
 */
export function subtaskShare (o: ManifestOperator, subtask: number, parallelism: number, maxParallelism: number): SubtaskRestore {
  const range = keyGroupRange(subtask, parallelism, maxParallelism)
  const keyedCids: string[] = []
  o.subtasks.forEach((s, old) => {
    if (s.keyed.length === 0) return
    const r = keyGroupRange(old, o.parallelism, o.maxParallelism)
    if (r.end >= range.start && r.start <= range.end) keyedCids.push(...s.keyed)
  })
  let list: unknown[]
  if (o.parallelism === parallelism) {
    list = [...(o.subtasks[subtask]?.list ?? [])]
  } else {
    const all = o.subtasks.flatMap(s => s.list)
    list = all.filter((_, i) => i % parallelism === subtask)
  }
  return { keyedCids, list, keyGroups: range }
}

/**
 * Loads what the subtasks `runsHere` selects restore: operator id -> state, per subtask.
 * `fetch` returns a block's verified bytes.
 */
export async function loadRestoredState (plan: RestorePlan, graph: JobGraph, runsHere: (vertex: JobVertex, subtask: number) => boolean,
  fetch: (cid: string) => Promise<Uint8Array>): Promise<Map<string, Map<string, RestoredOperatorState>>> {
  const out = new Map<string, Map<string, RestoredOperatorState>>()
  const cache = new Map<string, Promise<Uint8Array>>()
  const load = (cid: string): Promise<Uint8Array> => {
    let p = cache.get(cid)
    if (p === undefined) cache.set(cid, p = fetch(cid))
    return p
  }
  for (const v of graph.vertices) {
    for (let s = 0; s < v.parallelism; s++) {
      if (!runsHere(v, s)) continue
      const states = new Map<string, RestoredOperatorState>()
      for (const op of v.operators) {
        const saved = plan.operators.get(op.id)
        if (saved === undefined) continue
        const share = subtaskShare(saved, s, v.parallelism, v.maxParallelism)
        const keyed = await Promise.all(share.keyedCids.map(load))
        states.set(op.id, { checkpointId: plan.checkpointId, keyed, list: share.list, keyGroups: share.keyGroups })
      }
      out.set(subtaskKey(v.id, s), states)
    }
  }
  return out
}

export function subtaskKey (vertexId: string, subtask: number): string {
  return `${vertexId}\u0000${subtask}`
}

/**
 * Reads the keyed chunks an operator restores from (checkpoint.ts) into entries per
 * namespace, keeping only this subtask's key groups: the chunks of every old subtask whose
 * key groups overlap, applied in order (drops, tombstones, puts), with entries of other key
 * groups skipped. That is what makes a restore at another parallelism work.
 *
 * The watermark restored is, for every key group of this subtask, the one recorded by the
 * last chunk covering it (its writer's latest snapshot), and the minimum of those; a key
 * group no chunk covers gives -Infinity (its writer had neither state nor a watermark).
 *
 * @example
 * override restoreState (state: RestoredOperatorState): void {
 *   const restored = readKeyedState(state, this.context.maxParallelism)
 *   for (const [key, count] of restored.namespaces.get('count') ?? []) this.#counts.set(key, count as number)
 *   this.#snapshots.adopt(restored)
 * }
 */
import type { Key } from '../../api/functions.ts'
import type { RestoredOperatorState } from '../checkpoint.ts'
import { keyGroupOf } from '../../graph/key-groups.ts'
import { decodeCbor } from '../../../protocol/cbor.ts'
import { cidOf } from '../../../protocol/cid.ts'
import { StateRestoreError } from '../errors.ts'
import { decodeKeyedChunk, type ChunkKind } from './keyed-chunk.ts'

/** A restored chunk, as a link of a chain the restoring subtask may build on. */
export interface RestoredChunk {
  readonly cid: string
  readonly size: number
  readonly kind: ChunkKind
}

export interface RestoredKeyedState {
  /** The live entries of this subtask's key groups, by namespace. */
  readonly namespaces: ReadonlyMap<string, Map<Key, unknown>>
  /** Number of entries in `namespaces`. */
  readonly entries: number
  /** The operator's watermark at the snapshot (-Infinity when none was recorded). */
  readonly watermark: number
  /** The operator's meta pairs, later chunks overriding earlier ones. */
  readonly meta: ReadonlyMap<string, unknown>
  /**
   * The chunks, when they hold exactly this subtask's key groups (the parallelism did not
   * change, or subtasks were merged): new snapshots may then build on them.
   */
  readonly chain: readonly RestoredChunk[] | undefined
}

/** The value of an entry split over chunks. */
function decodePart (p: Part, index: number): unknown {
  try {
    return decodeCbor('/meshflow/keyed-state/1', Buffer.concat(p.slices))
  } catch (err) {
    throw new StateRestoreError(`Keyed state chunk ${index} ends an entry split over chunks whose value is not CBOR (namespace '${p.ns}')`, { cause: err })
  }
}

interface Part {
  readonly ns: string
  readonly kg: number
  readonly key: Key
  readonly count: number
  readonly slices: Uint8Array[]
}

/**
 * Applies `state.keyed` in order and returns the entries of `state.keyGroups`.
 *
 * @throws {StateRestoreError} when a chunk is malformed, was written with another max
 * parallelism, or an entry split over chunks is incomplete
 */
export function readKeyedState (state: Pick<RestoredOperatorState, 'keyed' | 'keyGroups'>, maxParallelism: number): RestoredKeyedState {
  const { start, end } = state.keyGroups
  const namespaces = new Map<string, Map<Key, unknown>>()
  const meta = new Map<string, unknown>()
  const watermarks = new Float64Array(end - start + 1).fill(Number.NEGATIVE_INFINITY)
  const chain: RestoredChunk[] = []
  let adoptable = true
  let part: Part | undefined
  const inRange = (kg: number, index: number): boolean => {
    if (kg < 0 || kg >= maxParallelism) throw new StateRestoreError(`Keyed state chunk ${index} has an entry of key group ${kg}, outside 0..${maxParallelism - 1}`)
    if (kg >= start && kg <= end) return true
    adoptable = false
    return false
  }
  const put = (ns: string, key: Key, value: unknown): void => {
    let m = namespaces.get(ns)
    if (m === undefined) namespaces.set(ns, m = new Map())
    m.set(key, value)
  }

  state.keyed.forEach((bytes, index) => {
    const c = decodeKeyedChunk(bytes, index)
    if (c.mp !== maxParallelism) {
      throw new StateRestoreError(`Keyed state chunk ${index} was written with max parallelism ${c.mp}, the job has ${maxParallelism}: key groups cannot be mapped (keep the max parallelism when restoring)`)
    }
    const [ws, we] = c.kg
    if (ws < start || we > end) adoptable = false
    for (let g = Math.max(ws, start); g <= Math.min(we, end); g++) watermarks[g - start] = c.wm
    for (let i = 0; i < c.meta.length; i += 2) meta.set(String(c.meta[i]), c.meta[i + 1])

    for (const ns of c.drop) {
      const m = namespaces.get(ns)
      if (m === undefined) continue
      if (ws <= start && we >= end) {
        namespaces.delete(ns)
        continue
      }
      for (const key of m.keys()) {
        const g = keyGroupOf(key, maxParallelism)
        if (g >= ws && g <= we) m.delete(key)
      }
    }
    for (let i = 0; i < c.del.length; i += 2) {
      const ns = c.del[i] as string
      const flat = c.del[i + 1] as unknown[]
      const m = namespaces.get(ns)
      for (let j = 0; j < flat.length; j += 2) {
        if (inRange(flat[j] as number, index)) m?.delete(flat[j + 1] as Key)
      }
    }
    for (let i = 0; i < c.put.length; i += 2) {
      const ns = c.put[i] as string
      const flat = c.put[i + 1] as unknown[]
      for (let j = 0; j < flat.length; j += 3) {
        if (inRange(flat[j] as number, index)) put(ns, flat[j + 1] as Key, flat[j + 2])
      }
    }
    if (c.part !== null) {
      const [ns, kg, key, i, count, slice] = c.part
      if (i === 0) {
        if (part !== undefined) throw new StateRestoreError(`Keyed state chunk ${index} starts an entry while the one before is incomplete`)
        part = { ns, kg, key, count, slices: [] }
      } else if (part === undefined || part.ns !== ns || part.key !== key || part.count !== count || part.slices.length !== i) {
        throw new StateRestoreError(`Keyed state chunk ${index} continues an entry that was not started`)
      }
      part.slices.push(slice)
      if (part.slices.length === count) {
        const p = part
        part = undefined
        if (inRange(p.kg, index)) put(p.ns, p.key, decodePart(p, index))
      }
    } else if (part !== undefined) {
      throw new StateRestoreError(`Keyed state chunk ${index} interrupts an entry split over chunks`)
    }
    chain.push({ cid: cidOf(bytes).toString(), size: bytes.byteLength, kind: c.kind })
  })
  if (part !== undefined) throw new StateRestoreError(`The last keyed state chunk leaves an entry split over chunks incomplete (namespace '${part.ns}')`)

  let watermark = Number.POSITIVE_INFINITY
  for (const w of watermarks) if (w < watermark) watermark = w
  let entries = 0
  for (const [ns, m] of namespaces) {
    if (m.size === 0) namespaces.delete(ns)
    entries += m.size
  }
  return { namespaces, entries, watermark, meta, chain: adoptable ? chain : undefined }
}

/**
 * The equi-join of two inputs (`join`, `leftOuterJoin`, `rightOuterJoin`, `fullOuterJoin`)
 * as a hash join: the build side goes into a hash table by key as it arrives, the probe
 * side is held until both inputs have ended, then each probe row looks up its matches.
 * Input 0 is the left side and input 1 the right one, whichever is built; `fn` always gets
 * `(left, right)`, with `null` for the missing side of an outer join.
 *
 * Keys compare as `joinKey` says: a null key (or a composite key with a null part) never
 * matches, and an outer join keeps such rows of its preserved side(s). Rows with equal keys
 * on both sides give every pair.
 *
 * Used for a repartitioned join (both sides shuffled by key) and for a broadcast join (the
 * build side broadcast to every subtask, the probe side where it is): then only the probe
 * side may be preserved, which the DataSet API checks when it builds the job.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { joinKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'

export type JoinKind = 'inner' | 'left' | 'right' | 'full'

export interface HashJoinInit {
  readonly kind: JoinKind
  /** The input built into the hash table: 0 (left) or 1 (right). */
  readonly buildSide: 0 | 1
  readonly leftKey: (value: any) => unknown
  readonly rightKey: (value: any) => unknown
  readonly fn: (left: any, right: any) => unknown
}

interface Bucket { readonly rows: unknown[], matched: boolean }

export class HashJoinOperator extends BatchOperator {
  readonly #buildSide: 0 | 1
  readonly #buildKey: (value: any) => unknown
  readonly #probeKey: (value: any) => unknown
  readonly #fn: (left: any, right: any) => unknown
  readonly #keepBuild: boolean
  readonly #keepProbe: boolean
  readonly #table = new Map<GroupKey, Bucket>()
  /** Build rows with a null key, kept only when the build side is preserved. */
  readonly #buildNulls: unknown[] = []
  #probe: unknown[] = []

  constructor (init: HashJoinInit) {
    super()
    this.#buildSide = init.buildSide
    const keepLeft = init.kind === 'left' || init.kind === 'full'
    const keepRight = init.kind === 'right' || init.kind === 'full'
    if (init.buildSide === 0) {
      this.#buildKey = init.leftKey
      this.#probeKey = init.rightKey
      this.#keepBuild = keepLeft
      this.#keepProbe = keepRight
    } else {
      this.#buildKey = init.rightKey
      this.#probeKey = init.leftKey
      this.#keepBuild = keepRight
      this.#keepProbe = keepLeft
    }
    this.#fn = init.fn
  }

  #build (value: unknown): void {
    let raw: unknown
    try {
      raw = this.#buildKey(value)
    } catch (err) {
      throw this.fail(err)
    }
    const k = joinKey(raw)
    if (k === NULL_KEY) {
      if (this.#keepBuild) this.#buildNulls.push(value)
      return
    }
    const b = this.#table.get(k)
    if (b === undefined) this.#table.set(k, { rows: [value], matched: false })
    else b.rows.push(value)
  }

  processElement (value: unknown, _timestamp: number): void {
    if (this.#buildSide === 0) this.#build(value)
    else this.#probe.push(value)
  }

  override processElement2 (value: unknown, _timestamp: number): void {
    if (this.#buildSide === 1) this.#build(value)
    else this.#probe.push(value)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    if (this.#buildSide === 0) {
      for (let i = 0; i < n; i++) this.#build(values[i])
    } else {
      const probe = this.#probe
      for (let i = 0; i < n; i++) probe.push(values[i])
    }
  }

  #pair (probeRow: unknown, buildRow: unknown): unknown {
    return this.#buildSide === 0 ? this.#fn(buildRow, probeRow) : this.#fn(probeRow, buildRow)
  }

  protected override produce (): void {
    const table = this.#table
    const probeKey = this.#probeKey
    const keepProbe = this.#keepProbe
    const probe = this.#probe
    this.#probe = []
    for (let i = 0; i < probe.length; i++) {
      const row = probe[i]
      const k = joinKey(probeKey(row))
      const b = k === NULL_KEY ? undefined : table.get(k)
      if (b === undefined) {
        if (keepProbe) this.emit(this.#pair(row, null))
        continue
      }
      b.matched = true
      const rows = b.rows
      for (let j = 0; j < rows.length; j++) this.emit(this.#pair(row, rows[j]))
    }
    if (this.#keepBuild) {
      for (const b of table.values()) {
        if (!b.matched) for (const r of b.rows) this.emit(this.#pair(null, r))
      }
      for (const r of this.#buildNulls) this.emit(this.#pair(null, r))
    }
    table.clear()
  }
}

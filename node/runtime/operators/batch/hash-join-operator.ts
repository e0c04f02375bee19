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
 *
 * Past its memory budget it turns into a sort-merge join: what it holds of both sides
 * goes to two external sorts by (key, arrival), every later row too, and at the end the
 * two sorted streams are merged key by key (only one key's build rows are held). The
 * pairs are the same; they come in key order rather than probe order.
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { joinKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import { MAP_ENTRY_BYTES } from './final-aggregate-operator.ts'
import { ExternalSorter } from '../../spill/external-sorter.ts'
import { compareStoredKeys, storeKey, type StoredKey } from '../../spill/keyed-runs.ts'
import { SizeEstimate } from '../../spill/size-estimate.ts'

export type JoinKind = 'inner' | 'left' | 'right' | 'full'

export interface HashJoinInit {
  readonly kind: JoinKind
  /** The input built into the hash table: 0 (left) or 1 (right). */
  readonly buildSide: 0 | 1
  readonly leftKey: (value: any) => unknown
  readonly rightKey: (value: any) => unknown
  readonly fn: (left: any, right: any) => unknown
  /** Read the build side first even when it is not materialized (see JoinOptions.buildFirst). */
  readonly buildFirst?: boolean
}

interface Bucket { readonly rows: unknown[], matched: boolean }

/** `[key, seq, row]` in a sort-merge join; key null: a null key, which never matches. */
type Keyed = [StoredKey, number, unknown]

function byKeyThenSeq (a: Keyed, b: Keyed): number {
  return compareStoredKeys(a[0], b[0]) || a[1] - b[1]
}

/** What a held row costs besides itself: the `Keyed` tuple, or its slot in a bucket. */
const KEYED_BYTES = 64

export class HashJoinOperator extends BatchOperator {
  readonly #buildSide: 0 | 1
  readonly #buildKey: (value: any) => unknown
  readonly #probeKey: (value: any) => unknown
  readonly #fn: (left: any, right: any) => unknown
  readonly #buildFirst: boolean
  readonly #keepBuild: boolean
  readonly #keepProbe: boolean
  readonly #table = new Map<GroupKey, Bucket>()
  /** Build rows with a null key, kept only when the build side is preserved. */
  readonly #buildNulls: unknown[] = []
  #probe: unknown[] = []
  /** The build input ended (and nothing spilled): probe rows are joined as they come, not held. */
  #streaming = false
  override readonly managedMemory = true
  readonly #buildSize = new SizeEstimate()
  readonly #probeSize = new SizeEstimate()
  #held = 0
  #second = 0
  /** Once spilled: the two sides' external sorts (a sort-merge join). */
  #sorted: { readonly build: ExternalSorter<Keyed>, readonly probe: ExternalSorter<Keyed> } | undefined
  #seq = 0

  /** The build side first: its rows then go straight into the table and the probe side streams. */
  override get preferredInput (): 0 | 1 { return this.#buildSide }
  override get preferredInputAlways (): boolean { return this.#buildFirst }

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
    this.#buildFirst = init.buildFirst === true
  }

  #build (value: unknown): void {
    let raw: unknown
    try {
      raw = this.#buildKey(value)
    } catch (err) {
      throw this.fail(err)
    }
    const k = joinKey(raw)
    const sorted = this.#sorted
    if (sorted !== undefined) {
      if (k !== NULL_KEY || this.#keepBuild) sorted.build.add([storeKey(k), this.#seq++, value], this.#buildSize.of(value) + KEYED_BYTES)
      return
    }
    if (k === NULL_KEY) {
      if (this.#keepBuild) this.#buildNulls.push(value)
      this.#held += this.#buildSize.of(value) + 8
      return
    }
    const b = this.#table.get(k)
    if (b === undefined) {
      this.#table.set(k, { rows: [value], matched: false })
      this.#held += MAP_ENTRY_BYTES + 48
    } else {
      b.rows.push(value)
    }
    this.#held += this.#buildSize.of(value) + 8
  }

  /** Joins one probe row against the complete table (streaming, or at the end). */
  #probeRow (row: unknown): void {
    let raw: unknown
    try {
      raw = this.#probeKey(row)
    } catch (err) {
      throw this.fail(err)
    }
    const k = joinKey(raw)
    const b = k === NULL_KEY ? undefined : this.#table.get(k)
    if (b === undefined) {
      if (this.#keepProbe) this.emit(this.#pair(row, null))
      return
    }
    b.matched = true
    const rows = b.rows
    for (let j = 0; j < rows.length; j++) this.emit(this.#pair(row, rows[j]))
  }

  /**
   * The build side is complete: the probe rows held so far are joined now and the rest as
   * they come, so a probe side larger than the memory budget needs no spilling.
   */
  override inputEnded (input: 0 | 1): void {
    if (input !== this.#buildSide || this.#sorted !== undefined || this.#streaming) return
    // the rows held so far are joined at the end (paced), the rest as they come
    this.#streaming = true
  }

  #addProbe (value: unknown): void {
    if (this.#streaming) {
      this.#probeRow(value)
      return
    }
    const sorted = this.#sorted
    if (sorted === undefined) {
      this.#probe.push(value)
      this.#held += this.#probeSize.of(value) + 8
      return
    }
    let raw: unknown
    try {
      raw = this.#probeKey(value)
    } catch (err) {
      throw this.fail(err)
    }
    const k = joinKey(raw)
    if (k !== NULL_KEY || this.#keepProbe) sorted.probe.add([storeKey(k), this.#seq++, value], this.#probeSize.of(value) + KEYED_BYTES)
  }

  /** Past the budget: everything held goes to the two external sorts. */
  #check (): void {
    if (this.#sorted !== undefined || this.#held <= this.memoryBudget) return
    const files = this.spillFiles()
    const budget = Math.max(1, Math.floor(this.memoryBudget / 2))
    const sorted = {
      build: new ExternalSorter<Keyed>({ compare: byKeyThenSeq, budget, files }),
      probe: new ExternalSorter<Keyed>({ compare: byKeyThenSeq, budget, files })
    }
    // the build rows in arrival order within a key (a bucket holds them so); keys in any order
    for (const [k, b] of this.#table) for (const r of b.rows) sorted.build.add([storeKey(k), this.#seq++, r], this.#buildSize.mean + KEYED_BYTES)
    for (const r of this.#buildNulls) sorted.build.add([null, this.#seq++, r], this.#buildSize.mean + KEYED_BYTES)
    this.#table.clear()
    this.#buildNulls.length = 0
    const probe = this.#probe
    this.#probe = []
    this.#held = 0
    this.#sorted = sorted
    for (const r of probe) this.#addProbe(r)
  }

  processElement (value: unknown, _timestamp: number): void {
    if (this.#buildSide === 0) this.#build(value)
    else this.#addProbe(value)
    this.#check()
  }

  override processElement2 (value: unknown, _timestamp: number): void {
    if (this.#buildSide === 1) this.#build(value)
    else this.#addProbe(value)
    if (this.#streaming) return
    // the second input comes record by record: look at the budget every so often
    if ((++this.#second & 255) === 0) this.#check()
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    if (this.#buildSide === 0) {
      for (let i = 0; i < n; i++) this.#build(values[i])
    } else {
      for (let i = 0; i < n; i++) this.#addProbe(values[i])
      if (this.#streaming) {
        this.flushEmitted()
        return
      }
    }
    this.#check()
  }

  #pair (probeRow: unknown, buildRow: unknown): unknown {
    return this.#buildSide === 0 ? this.#fn(buildRow, probeRow) : this.#fn(probeRow, buildRow)
  }

  protected override produce (): void | Promise<void> {
    if (this.#sorted !== undefined) return this.#mergeJoin(this.#sorted)
    if (this.#probe.length > 0) return this.#produceHeld()
    this.#emitUnmatchedBuild()
  }

  /** The probe rows held: joined batch by batch, waiting for the outputs (a join may multiply rows). */
  async #produceHeld (): Promise<void> {
    const probe = this.#probe
    this.#probe = []
    for (let i = 0; i < probe.length; i++) {
      this.#probeRow(probe[i])
      if ((i & 255) === 255 && this.shouldPace) await this.pace()
    }
    this.#emitUnmatchedBuild()
  }

  /** An outer join's build rows that matched nothing; then the table is dropped. */
  #emitUnmatchedBuild (): void {
    const table = this.#table
    if (this.#keepBuild) {
      for (const b of table.values()) {
        if (!b.matched) for (const r of b.rows) this.emit(this.#pair(null, r))
      }
      for (const r of this.#buildNulls) this.emit(this.#pair(null, r))
    }
    table.clear()
  }

  /** The sort-merge join of the two sorted sides, key by key. */
  async #mergeJoin (sorted: { readonly build: ExternalSorter<Keyed>, readonly probe: ExternalSorter<Keyed> }): Promise<void> {
    this.#sorted = undefined
    const build = sorted.build.sorted()
    const probe = sorted.probe.sorted()
    const keepBuild = this.#keepBuild
    const keepProbe = this.#keepProbe
    let b = build.next()
    let p = probe.next()
    try {
      while (b.done !== true || p.done !== true) {
        const k: StoredKey = b.done === true
          ? (p.value as Keyed)[0]
          : p.done === true || compareStoredKeys(b.value[0], p.value[0]) <= 0 ? b.value[0] : p.value[0]
        const rows: unknown[] = []
        for (; b.done !== true && compareStoredKeys(b.value[0], k) === 0; b = build.next()) rows.push(b.value[2])
        let matched = false
        for (; p.done !== true && compareStoredKeys(p.value[0], k) === 0; p = probe.next()) {
          const row = p.value[2]
          if (k === null || rows.length === 0) {
            if (keepProbe) this.emit(this.#pair(row, null))
          } else {
            matched = true
            for (let j = 0; j < rows.length; j++) this.emit(this.#pair(row, rows[j]))
          }
          if (this.shouldPace) await this.pace()
        }
        if (!matched && keepBuild) for (const r of rows) this.emit(this.#pair(null, r))
        if (this.shouldPace) await this.pace()
      }
    } finally {
      build.return()
      probe.return()
    }
  }
}

/**
 * The combiner side of a grouped (or whole-set) reduction: folds the subtask's input into
 * one accumulator per key and emits `[rawKey, acc]` partials at the end of input — or
 * earlier, whenever it holds `maxKeys` keys (then it emits and forgets them, as Flink's
 * combiner does when its memory is full: the merge after the shuffle makes that correct,
 * and it bounds the memory a combiner holds).
 */
import type { GroupKey } from '../../../api/data-set-keys.ts'
import { groupKey, NULL_KEY } from '../../../api/data-set-keys.ts'
import { BatchOperator } from './batch-operator.ts'
import type { Combiner, Partial } from './combiner.ts'

/** Keys a combiner holds before it emits its partials (bounds its memory). */
export const DEFAULT_COMBINE_MAX_KEYS = 1 << 16

export interface PartialAggregateInit {
  /** The raw key of a record; undefined: the whole input is one group. */
  readonly key: ((value: any) => unknown) | undefined
  /** A faster Map key of a record (see ResolvedKey.group); default `groupKey(key(v))`. */
  readonly group?: ((value: any) => GroupKey) | undefined
  readonly combiner: Combiner<any, any, any>
  readonly maxKeys?: number
  /**
   * The key's columns when it was given as two or more column names: the partials are then
   * found through one Map per column (each looked up with the column's value as it is, a
   * string whose hash it caches), not through a composite string built and hashed per row.
   * Groups are the same as `group`'s.
   */
  readonly columns?: readonly string[] | undefined
}

/** A composite key's part as a Map key: what `group` separates, nothing more (see keyPart). */
type Nested = Map<unknown, Nested | Partial>

/** An object part's Map key (its JSON, as groupKey), apart from every string part. */
const OBJECT_PART = '\u0000j'
/** A string part that starts like OBJECT_PART, kept apart from object parts. */
const ESCAPED_STRING = '\u0000s'

/** The Map key of one part of a composite key: primitives as they are (Maps compare by SameValueZero), nulls one key, objects by JSON. */
function keyPart (x: unknown): unknown {
  switch (typeof x) {
    case 'string': return x.length > 0 && x.charCodeAt(0) === 0 ? ESCAPED_STRING + x : x
    case 'number':
    case 'boolean':
    case 'bigint': return x
    case 'undefined': return NULL_KEY
  }
  if (x === null) return NULL_KEY
  return OBJECT_PART + String(groupKey(x))
}

export class PartialAggregateOperator extends BatchOperator {
  readonly #key: ((value: any) => unknown) | undefined
  readonly #group: ((value: any) => GroupKey) | undefined
  readonly #combiner: Combiner<any, any, any>
  readonly #maxKeys: number
  /** Per key: `[rawKey, acc]`, the partial it will emit. */
  readonly #groups = new Map<GroupKey, Partial>()
  /** With `columns`: the partials by key column, one Map level per column. */
  readonly #columns: readonly string[] | undefined
  readonly #nested: Nested = new Map()
  #nestedKeys = 0
  /** The whole-set accumulator (no key). */
  #acc: unknown
  #any = false

  constructor (init: PartialAggregateInit) {
    super()
    this.#key = init.key
    this.#group = init.group
    this.#combiner = init.combiner
    this.#maxKeys = init.maxKeys ?? DEFAULT_COMBINE_MAX_KEYS
    this.#columns = init.key !== undefined && init.columns !== undefined && init.columns.length > 1 ? init.columns : undefined
  }

  processElement (value: unknown, _timestamp: number): void {
    this.processBatch([value], [], 1)
  }

  override processBatch (values: readonly unknown[], _timestamps: readonly number[], n: number): void {
    const c = this.#combiner
    const select = this.#key
    try {
      if (select === undefined) {
        let i = 0
        if (!this.#any && n > 0) {
          this.#acc = c.first(values[0])
          this.#any = true
          i = 1
        }
        let acc = this.#acc
        for (; i < n; i++) acc = c.add(acc, values[i])
        this.#acc = acc
        return
      }
      if (this.#columns !== undefined) {
        this.#processNested(values, n, select, this.#columns)
        return
      }
      const groups = this.#groups
      const group = this.#group
      for (let i = 0; i < n; i++) {
        const value = values[i]
        const k = group === undefined ? groupKey(select(value)) : group(value)
        const p = groups.get(k)
        if (p === undefined) {
          groups.set(k, [select(value), c.first(value)])
          if (groups.size >= this.#maxKeys) {
            this.#emitPartials()
            this.flushEmitted()
          }
        } else {
          p[1] = c.add(p[1], value)
        }
      }
    } catch (err) {
      throw this.fail(err)
    }
  }

  /** processBatch with a composite column key: one Map level per column (2 columns unrolled). */
  #processNested (values: readonly unknown[], n: number, select: (value: any) => unknown, columns: readonly string[]): void {
    const c = this.#combiner
    const a = columns[0]!
    const b = columns[1]!
    const last = columns.length - 1
    for (let i = 0; i < n; i++) {
      const value = values[i] as any
      let m = this.#nested
      let part = keyPart(value?.[a])
      if (last === 1) {
        let next = m.get(part) as Nested | undefined
        if (next === undefined) m.set(part, next = new Map())
        m = next
        part = keyPart(value?.[b])
      } else {
        for (let j = 1; j <= last; j++) {
          let next = m.get(part) as Nested | undefined
          if (next === undefined) m.set(part, next = new Map())
          m = next
          part = keyPart(value?.[columns[j]!])
        }
      }
      const p = m.get(part) as Partial | undefined
      if (p === undefined) {
        m.set(part, [select(value), c.first(value)])
        if (++this.#nestedKeys >= this.#maxKeys) {
          this.#emitPartials()
          this.flushEmitted()
        }
      } else {
        p[1] = c.add(p[1], value)
      }
    }
  }

  #emitNested (m: Nested, depth: number): void {
    for (const x of m.values()) {
      if (depth === 0) this.emit(x)
      else this.#emitNested(x as Nested, depth - 1)
    }
  }

  #emitPartials (): void {
    if (this.#columns !== undefined) {
      this.#emitNested(this.#nested, this.#columns.length - 1)
      this.#nested.clear()
      this.#nestedKeys = 0
      return
    }
    for (const p of this.#groups.values()) this.emit(p)
    this.#groups.clear()
  }

  protected override produce (): void {
    if (this.#key === undefined) {
      if (this.#any) this.emit([undefined, this.#acc] satisfies Partial)
      return
    }
    this.#emitPartials()
  }
}

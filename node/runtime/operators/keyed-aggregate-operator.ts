/**
 * Rolling aggregation on a keyed stream (`keyBy(...).reduce(...)` / `.aggregate(...)`):
 * keeps one accumulator per key and emits the updated result for every record. The
 * accumulators are keyed state (namespace `a`), snapshotted incrementally.
 */
import type { AggregateFunction, Key } from '../../api/functions.ts'
import type { OperatorSnapshot, RestoredOperatorState } from '../checkpoint.ts'
import { StateRestoreError } from '../errors.ts'
import { keyedSnapshotsOf, type IncrementalKeyedSnapshot, type KeyedStateView } from '../state/incremental-keyed-snapshot.ts'
import { readKeyedState } from '../state/read-keyed-state.ts'
import { StreamOperator, type OperatorContext, type Output } from '../stream-operator.ts'

/** The namespace of the accumulators in snapshots. */
const ACCUMULATORS = 'a'

export class KeyedAggregateOperator extends StreamOperator {
  readonly #fn: AggregateFunction<any, any, any>
  readonly accumulators = new Map<Key, unknown>()
  #key!: (value: any) => Key
  #snapshots!: IncrementalKeyedSnapshot
  #changes: Set<Key> | undefined
  readonly #view: KeyedStateView = {
    forEach: visit => { for (const [key, acc] of this.accumulators) visit(ACCUMULATORS, key, acc) },
    get: (_ns, key) => this.accumulators.get(key)
  }

  constructor (fn: AggregateFunction<any, any, any>) {
    super()
    this.#fn = fn
  }

  override setup (context: OperatorContext, output: Output): void {
    super.setup(context, output)
    this.#snapshots = keyedSnapshotsOf(context)
    this.#changes = this.#snapshots.changes(ACCUMULATORS)
  }

  override restoreState (state: RestoredOperatorState): void {
    const restored = readKeyedState(state, this.context.maxParallelism)
    for (const ns of restored.namespaces.keys()) {
      if (ns !== ACCUMULATORS) throw new StateRestoreError(`Operator '${this.context.operatorName}' cannot restore keyed state '${ns}': it is not a rolling aggregation's`)
    }
    for (const [key, acc] of restored.namespaces.get(ACCUMULATORS) ?? []) this.accumulators.set(key, acc)
    this.#snapshots.adopt(restored)
  }

  override open (): void {
    this.#key = this.context.keySelectors![0]!
  }

  override snapshotState (checkpointId: number): OperatorSnapshot {
    return { keyed: this.#snapshots.snapshot(checkpointId, this.#view) }
  }

  override notifyCheckpointComplete (checkpointId: number): void {
    this.#snapshots.complete(checkpointId)
  }

  processElement (value: unknown, timestamp: number): void {
    let result: unknown
    try {
      const key = this.#key(value)
      const fn = this.#fn
      let acc = this.accumulators.get(key)
      acc = fn.add(value, acc === undefined ? fn.createAccumulator() : acc)
      this.accumulators.set(key, acc)
      this.#changes?.add(key)
      result = fn.getResult(acc)
    } catch (err) {
      throw this.fail(err)
    }
    this.output.collect(result, timestamp)
  }
}

/** A reduce function as an aggregate whose accumulator is the running value. */
export function reduceAsAggregate<T> (reduce: (a: T, b: T) => T): AggregateFunction<T, T | typeof EMPTY, T> {
  return {
    createAccumulator: () => EMPTY,
    add: (value, acc) => acc === EMPTY ? value : reduce(acc, value),
    getResult: acc => acc as T,
    merge: (a, b) => a === EMPTY ? b : b === EMPTY ? a : reduce(a, b)
  }
}

/** Marks an accumulator that has seen no value yet. */
export const EMPTY: unique symbol = Symbol('empty')

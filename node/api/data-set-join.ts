/**
 * The two-input operations of the DataSet API: join (inner and outer), coGroup and cross.
 * Joins and coGroups are builders, `x.join(y).where(k).equalTo(k).with(fn)`; a builder
 * left unfinished fails the job at build time (`getJobGraph`/`execute`) naming the step
 * it stopped at.
 *
 * Join strategies (Flink's JoinHint names): `repartition-hash-first|second` shuffle both
 * sides by key and build the first|second side into the hash table; `broadcast-first|
 * second` broadcast that side to every subtask and build it there, leaving the other side
 * unshuffled. Without a strategy: when both sizes are known, the smaller side is broadcast
 * if it has at most `broadcastMaxRows` rows (default 10,000) and its join kind allows, else
 * it is built after a repartition; when a size is unknown, both sides are repartitioned
 * and the right side is built. A broadcast side must not be one whose unmatched rows an
 * outer join keeps (every subtask would emit them): that is refused at build time.
 *
 * Co-located joins (DESIGN §6): without a strategy, a side that is a dataset scan
 * hash-partitioned on the join key (one column) and read at its partition count P, when the
 * join runs at P too, is not shuffled: the partitioner of datasets is keyBy's, so scan
 * subtask p holds exactly the keys the shuffle would send to join subtask p, and a forward
 * edge carries them there (null keys, which never match, may sit elsewhere: harmless). Two
 * such sides join without any shuffle, and the scheduler puts scan subtasks p and join
 * subtask p in one slot, on a peer holding partition p. Such a join keeps parallelism P (a
 * build check says so if it is changed); a `repartition-*` strategy shuffles both sides.
 *
 * @example
 * orders.leftOuterJoin(customers).where('customer').equalTo('id')
 *   .with((o, c) => ({ ...o, name: c?.name ?? null }))
 */
import type { DataSet } from './data-set.ts'
import type { KeySpec, ResolvedKey } from './data-set-keys.ts'
import type { Transformation } from '../graph/transformation.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { needFunction } from './data-set-support.ts'
import { HashJoinOperator, type JoinKind } from '../runtime/operators/batch/hash-join-operator.ts'
import { CoGroupOperator, type CoGroupFunction } from '../runtime/operators/batch/co-group-operator.ts'
import { CROSS_COUNT, CROSS_ROW, CrossOperator } from '../runtime/operators/batch/cross-operator.ts'
import { PartialAggregateOperator } from '../runtime/operators/batch/partial-aggregate-operator.ts'
import { countCombiner } from '../runtime/operators/batch/combiner.ts'
import { MapOperator } from '../runtime/operators/map-operator.ts'
import { DEFAULT_MAX_PARALLELISM } from '../graph/key-groups.ts'

export type JoinStrategy = 'broadcast-first' | 'broadcast-second' | 'repartition-hash-first' | 'repartition-hash-second'

export interface JoinOptions {
  /** How to run the join (default: chosen from the sizes, see the module comment). */
  readonly strategy?: JoinStrategy
  /** The largest side broadcast automatically (default 10,000 rows). */
  readonly broadcastMaxRows?: number
  /**
   * The two sides share no upstream operator, so the join may read its build side to the
   * end before the other even where the build side is not materialized (the other side's
   * producers just wait): the probe side then streams instead of being held. Only set it
   * when that is true (the SQL planner knows); a shared upstream could deadlock.
   */
  readonly buildFirst?: boolean
}

export interface CrossOptions {
  /** The largest product allowed, in rows (default 1,000,000). */
  readonly maxRows?: number
}

export const DEFAULT_BROADCAST_MAX_ROWS = 10_000
/** The largest cross product `cross` emits unless its `maxRows` option says otherwise. */
export const DEFAULT_CROSS_MAX_ROWS = 1_000_000
const STRATEGIES: readonly JoinStrategy[] = ['broadcast-first', 'broadcast-second', 'repartition-hash-first', 'repartition-hash-second']
const JOIN_NAME: Record<JoinKind, string> = { inner: 'join', left: 'leftOuterJoin', right: 'rightOuterJoin', full: 'fullOuterJoin' }

function sameEnvironment (what: string, a: DataSet<unknown>, b: unknown): void {
  if (typeof b !== 'object' || b === null || !('transformation' in b) || (b as DataSet<unknown>).environment !== a.environment) {
    throw new JobDefinitionError(`${what} needs a DataSet of the same environment`)
  }
}

/** Registers a check that fails the job when the builder was not finished. */
function unfinished (env: DataSet<unknown>['environment'], message: () => string | undefined): void {
  env.addBuildCheck(() => {
    const m = message()
    if (m !== undefined) throw new JobDefinitionError(m)
  })
}

/** Picks how a join runs; fails when the strategy asked for cannot keep the join's rows. */
function chooseStrategy (kind: JoinKind, options: JoinOptions, left: DataSet<unknown>, right: DataSet<unknown>): JoinStrategy {
  const name = JOIN_NAME[kind]
  const canBroadcastFirst = kind === 'inner' || kind === 'right'
  const canBroadcastSecond = kind === 'inner' || kind === 'left'
  const asked = options.strategy
  if (asked !== undefined) {
    if (!STRATEGIES.includes(asked)) throw new InvalidArgumentError(`${name}: unknown strategy ${JSON.stringify(asked)} (use ${STRATEGIES.join(', ')})`)
    if ((asked === 'broadcast-first' && !canBroadcastFirst) || (asked === 'broadcast-second' && !canBroadcastSecond)) {
      const side = asked === 'broadcast-first' ? 'left' : 'right'
      throw new JobDefinitionError(`${name} cannot broadcast its ${side} side: its unmatched rows would be emitted by every subtask; broadcast the other side or repartition`)
    }
    return asked
  }
  const max = options.broadcastMaxRows ?? DEFAULT_BROADCAST_MAX_ROWS
  if (!Number.isInteger(max) || max < 0) throw new InvalidArgumentError(`${name}: broadcastMaxRows must be a non-negative integer, got ${String(max)}`)
  const l = left.estimatedRows
  const r = right.estimatedRows
  if (l === undefined || r === undefined) return 'repartition-hash-second'
  if (l <= r) return l <= max && canBroadcastFirst ? 'broadcast-first' : 'repartition-hash-first'
  return r <= max && canBroadcastSecond ? 'broadcast-second' : 'repartition-hash-second'
}

/** Fails when both keys are columns of known schemas with different types (or counts). */
function checkKeyTypes (name: string, left: DataSet<unknown>, right: DataSet<unknown>, lk: ResolvedKey<any>, rk: ResolvedKey<any>): void {
  const ls = left.schema
  const rs = right.schema
  if (lk.columns === undefined || rk.columns === undefined) return
  if (lk.columns.length !== rk.columns.length) {
    throw new JobDefinitionError(`${name}: where() names ${lk.columns.length} columns, equalTo() ${rk.columns.length}`)
  }
  if (ls === undefined || rs === undefined) return
  lk.columns.forEach((c, i) => {
    const lt = ls.columns.find(s => s.name === c)?.type
    const rt = rs.columns.find(s => s.name === rk.columns![i])?.type
    if (lt !== rt) throw new JobDefinitionError(`${name}: join keys of different types: left '${c}' is ${lt}, right '${rk.columns![i]}' is ${rt}`)
  })
}

/**
 * P when `side` is a dataset scan hash-partitioned on `key`'s one column into P partitions,
 * read at parallelism P, in a job whose operators take that parallelism by default and whose
 * key groups are the datasets' (see the module comment); else undefined.
 */
function coPartitioned (side: DataSet<unknown>, key: ResolvedKey<any>): number | undefined {
  const p = side.props.partitioning
  const t = side.transformation
  const env = side.environment
  if (p?.kind !== 'hash' || t.kind !== 'source' || key.columns?.length !== 1 || key.columns[0] !== p.column) return undefined
  if (env.maxParallelism !== DEFAULT_MAX_PARALLELISM || env.parallelism !== p.partitions || (t.parallelism ?? p.partitions) !== p.partitions) return undefined
  return p.partitions
}

/** `x.join(y)`: name the left key with `where`. */
export class JoinBuilder<L, R, RIn = R, LIn = L> {
  readonly #left: DataSet<L>
  readonly #right: DataSet<R>
  readonly #kind: JoinKind
  readonly #options: JoinOptions
  #stage: 'join' | 'where' | 'equalTo' | 'done' = 'join'

  constructor (left: DataSet<L>, right: DataSet<R>, kind: JoinKind, options: JoinOptions) {
    const name = JOIN_NAME[kind]
    sameEnvironment(name, left as DataSet<unknown>, right)
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${name} options must be an object`)
    chooseStrategy(kind, options, left as DataSet<unknown>, right as DataSet<unknown>) // misuse fails here, at the call
    this.#left = left
    this.#right = right
    this.#kind = kind
    this.#options = options
    unfinished(left.environment, () => {
      switch (this.#stage) {
        case 'join': return `${name}(...) was never completed: call .where(key).equalTo(key).with((left, right) => ...)`
        case 'where': return `${name}(...).where(...) was never completed: call .equalTo(key).with((left, right) => ...)`
        case 'equalTo': return `${name}(...).where(...).equalTo(...) was never completed: call .with((left, right) => ...)`
        default: return undefined
      }
    })
  }

  /** The left side's key: a column, an array of columns or a function. */
  where (key: KeySpec<L>): { equalTo: (key: KeySpec<R>) => { with: <O>(fn: (left: LIn, right: RIn) => O) => DataSet<O> } } {
    if (this.#stage !== 'join') throw new JobDefinitionError(`${JOIN_NAME[this.#kind]}: where() was called twice`)
    const lk = this.#left.keyOf(`${JOIN_NAME[this.#kind]} where`, key)
    this.#stage = 'where'
    return {
      equalTo: (key2: KeySpec<R>) => {
        if (this.#stage !== 'where') throw new JobDefinitionError(`${JOIN_NAME[this.#kind]}: equalTo() was called twice`)
        const rk = this.#right.keyOf(`${JOIN_NAME[this.#kind]} equalTo`, key2)
        checkKeyTypes(JOIN_NAME[this.#kind], this.#left as DataSet<unknown>, this.#right as DataSet<unknown>, lk, rk)
        this.#stage = 'equalTo'
        return {
          with: <O>(fn: (left: LIn, right: RIn) => O): DataSet<O> => {
            if (this.#stage !== 'equalTo') throw new JobDefinitionError(`${JOIN_NAME[this.#kind]}: with() was called twice`)
            needFunction(`${JOIN_NAME[this.#kind]} with`, fn)
            this.#stage = 'done'
            return this.#build(lk, rk, fn as (l: any, r: any) => O)
          }
        }
      }
    }
  }

  #build<O> (lk: ResolvedKey<L>, rk: ResolvedKey<R>, fn: (l: any, r: any) => O): DataSet<O> {
    const left = this.#left
    const right = this.#right
    const env = left.environment
    const auto = this.#options.strategy === undefined
    const lp = auto ? coPartitioned(left as DataSet<unknown>, lk) : undefined
    const rp = auto ? coPartitioned(right as DataSet<unknown>, rk) : undefined
    // both sides where their keys are: no broadcast, no shuffle; build the smaller side
    const l = left.estimatedRows
    const r = right.estimatedRows
    const strategy: JoinStrategy = lp !== undefined && rp !== undefined
      ? (l !== undefined && r !== undefined && l <= r ? 'repartition-hash-first' : 'repartition-hash-second')
      : chooseStrategy(this.#kind, this.#options, left as DataSet<unknown>, right as DataSet<unknown>)
    let inputs: Transformation[]
    let forward: Transformation[] = []
    if (strategy === 'broadcast-first' || strategy === 'broadcast-second') {
      const broadcast = (d: DataSet<unknown>): Transformation => env.addTransformation({ kind: 'partition', name: 'broadcast', inputs: [d.transformation], partition: 'broadcast' })
      inputs = strategy === 'broadcast-first'
        ? [broadcast(left as DataSet<unknown>), right.transformation]
        : [left.transformation, broadcast(right as DataSet<unknown>)]
    } else {
      forward = [lp === undefined ? undefined : left.transformation, rp === undefined ? undefined : right.transformation].filter(t => t !== undefined)
      inputs = [lp === undefined ? left.partitionByKey(lk) : left.transformation, rp === undefined ? right.partitionByKey(rk) : right.transformation]
    }
    const buildSide = strategy.endsWith('first') ? 0 : 1
    const init = { kind: this.#kind, buildSide, leftKey: lk.select, rightKey: rk.select, fn, buildFirst: this.#options.buildFirst === true } as const
    const t = env.addTransformation({ kind: 'operator', name: JOIN_NAME[this.#kind], inputs, factory: () => new HashJoinOperator(init) })
    if (forward.length > 0) this.#keepColocated(t, forward, (lp ?? rp)!)
    return left.derive<O>(t, {})
  }

  /** Pins the parallelism a co-located join needs, and fails the build when it was changed after all. */
  #keepColocated (join: Transformation, scans: readonly Transformation[], p: number): void {
    join.parallelism = p
    for (const s of scans) s.parallelism ??= p
    const name = JOIN_NAME[this.#kind]
    unfinished(this.#left.environment, () => {
      const changed = [join, ...scans].find(x => x.parallelism !== p)
      return changed === undefined
        ? undefined
        : `${name} reads dataset partitions where they are, at parallelism ${p}, but '${changed.name}' was set to ${changed.parallelism}: keep ${p} or pass the strategy 'repartition-hash-second' to shuffle`
    })
  }
}

/** `x.coGroup(y)`: name the keys with `where` and `equalTo`, the function with `with`. */
export class CoGroupBuilder<L, R> {
  readonly #left: DataSet<L>
  readonly #right: DataSet<R>
  #stage: 'coGroup' | 'where' | 'equalTo' | 'done' = 'coGroup'

  constructor (left: DataSet<L>, right: DataSet<R>) {
    sameEnvironment('coGroup', left as DataSet<unknown>, right)
    this.#left = left
    this.#right = right
    unfinished(left.environment, () => this.#stage === 'done'
      ? undefined
      : `coGroup(...)${this.#stage === 'coGroup' ? '' : this.#stage === 'where' ? '.where(...)' : '.where(...).equalTo(...)'} was never completed: call ${this.#stage === 'coGroup' ? '.where(key)' : ''}${this.#stage !== 'equalTo' ? '.equalTo(key)' : ''}.with((key, lefts, rights) => rows)`)
  }

  where (key: KeySpec<L>): { equalTo: (key: KeySpec<R>) => { with: <O>(fn: CoGroupFunction<L, R, O>) => DataSet<O> } } {
    if (this.#stage !== 'coGroup') throw new JobDefinitionError('coGroup: where() was called twice')
    const lk = this.#left.keyOf('coGroup where', key)
    this.#stage = 'where'
    return {
      equalTo: (key2: KeySpec<R>) => {
        if (this.#stage !== 'where') throw new JobDefinitionError('coGroup: equalTo() was called twice')
        const rk = this.#right.keyOf('coGroup equalTo', key2)
        checkKeyTypes('coGroup', this.#left as DataSet<unknown>, this.#right as DataSet<unknown>, lk, rk)
        this.#stage = 'equalTo'
        return {
          with: <O>(fn: CoGroupFunction<L, R, O>): DataSet<O> => {
            if (this.#stage !== 'equalTo') throw new JobDefinitionError('coGroup: with() was called twice')
            needFunction('coGroup with', fn)
            this.#stage = 'done'
            const env = this.#left.environment
            const t = env.addTransformation({
              kind: 'operator',
              name: 'coGroup',
              inputs: [this.#left.partitionByKey(lk), this.#right.partitionByKey(rk)],
              factory: () => new CoGroupOperator(lk.select, rk.select, fn)
            })
            return this.#left.derive<O>(t, {})
          }
        }
      }
    }
  }
}

/**
 * The transformation of `left × right` with `fn`: the smaller side (by estimate; else
 * `right`) is broadcast with the row counts of the other side's subtasks, so every cross
 * subtask checks the exact product size against `maxRows` before it emits.
 */
export function crossTransformation (left: DataSet<any>, right: DataSet<any>, fn: (a: any, b: any) => unknown, options: CrossOptions): Transformation {
  sameEnvironment('cross', left, right)
  const maxRows = options.maxRows ?? DEFAULT_CROSS_MAX_ROWS
  if (typeof maxRows !== 'number' || !(maxRows >= 0)) throw new InvalidArgumentError(`cross maxRows must be a non-negative number, got ${String(maxRows)}`)
  const l = left.estimatedRows
  const r = right.estimatedRows
  if (l !== undefined && r !== undefined && l * r > maxRows) {
    throw new JobDefinitionError(`cross of about ${l} × ${r} rows exceeds its limit of ${maxRows} rows: filter or join the inputs first, or raise the limit with cross(other, { maxRows })`)
  }
  const swapped = l !== undefined && r !== undefined && l < r
  const stay = swapped ? right : left
  const small = swapped ? left : right
  const env = left.environment
  const counts = stay.addOperator<unknown>('cross-count', () => new PartialAggregateOperator({ key: undefined, combiner: countCombiner() }))
  // a partial count is [undefined, n]: tag it as a count, and the broadcast rows as rows
  const taggedCounts = counts.addOperator<unknown>('cross-count-tag', () => new MapOperator((p: [unknown, number]) => [CROSS_COUNT, p[1]]))
  const taggedRows = small.addOperator<unknown>('cross-tag', () => new MapOperator((row: unknown) => [CROSS_ROW, row]))
  const broadcast = env.addTransformation({
    kind: 'partition',
    name: 'broadcast',
    inputs: [env.addTransformation({ kind: 'union', name: 'union', inputs: [taggedRows.transformation, taggedCounts.transformation] })],
    partition: 'broadcast'
  })
  return env.addTransformation({
    kind: 'operator', name: 'cross', inputs: [stay.transformation, broadcast], factory: () => new CrossOperator({ maxRows, swapped, fn })
  })
}

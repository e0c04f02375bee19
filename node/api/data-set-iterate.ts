/**
 * Bulk iteration (Flink's `DataSet.iterate` / `closeWith`): `initial.iterate(n, step)` runs
 * `step` n times, each time over the rows the previous superstep produced, and yields the
 * rows of the last one. The step may also return a termination criterion — a DataSet; the
 * iteration stops after the first superstep in which it is empty (Flink's rule) — and may
 * use static inputs (data that does not change between supersteps, e.g. the links of a
 * graph), named in `options.statics` and handed to it as its second argument.
 *
 * How it runs: the iteration's input is gathered in one subtask; each superstep is the
 * step's pipeline run in that subtask over the current rows (an in-process run of the same
 * operators), so an iteration is bounded by one task's memory and one thread. That suits
 * the iterative algorithms over data of that size (PageRank, k-means, connected
 * components over a graph that fits); distributing supersteps across the mesh is not built.
 *
 * @example
 * const ranks = pages.iterate(20, (ranks, { links }) => ranks
 *   .join(links).where('page').equalTo('from').with((r, l) => ({ page: l.to, rank: r.rank / l.degree }))
 *   .groupBy('page').aggregate({ rank: sum('rank') }), { statics: { links } })
 */
import { StreamEnvironment } from './stream-environment.ts'
import { DataSet } from './data-set.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { MapOperator } from '../runtime/operators/map-operator.ts'
import { IterateOperator, type RunSuperstep } from '../runtime/operators/batch/iterate-operator.ts'
import { LocalChannelProvider, runTasks } from '../runtime/local-executor.ts'
import type { CollectedOutput } from './collect-sink.ts'

/** What a step returns: the next rows, or the next rows and a termination criterion. */
export type IterationResult<T> = DataSet<T> | { readonly next: DataSet<T>, readonly termination?: DataSet<any> }

/** A superstep: the current rows (and the static inputs, by name) to the next rows. */
export type IterationStep<T, S extends Record<string, DataSet<any>>> = (current: DataSet<T>, statics: S, iteration: number) => IterationResult<T>

export interface IterateOptions<S extends Record<string, DataSet<any>>> {
  /** Inputs the step reads in every superstep, by name (data sets of the same environment). */
  readonly statics?: S
}

/** Most supersteps an iteration may ask for. */
export const MAX_ITERATIONS = 100_000

/** Adds the iteration of `initial` (see the module comment). */
export function iterate<T, S extends Record<string, DataSet<any>>> (initial: DataSet<T>, maxIterations: number, step: IterationStep<T, S>, options: IterateOptions<S> = {}): DataSet<T> {
  if (!Number.isInteger(maxIterations) || maxIterations < 1 || maxIterations > MAX_ITERATIONS) {
    throw new InvalidArgumentError(`iterate: maxIterations must be an integer from 1 to ${MAX_ITERATIONS}, got ${String(maxIterations)}`)
  }
  if (typeof step !== 'function') throw new InvalidArgumentError('iterate needs a step function (current, statics, iteration) => DataSet')
  const env = initial.environment
  const named = Object.entries(options.statics ?? {})
  for (const [name, d] of named) {
    if (!(d instanceof DataSet) || d.environment !== env) throw new JobDefinitionError(`iterate: static input '${name}' must be a data set of the same environment`)
  }
  const names = named.map(([name]) => name)
  // each input's rows tagged with its index, so one subtask can tell them apart
  const tagged = [initial, ...named.map(([, d]) => d)].map((d, i) => {
    const t = env.addTransformation({ kind: 'operator', name: i === 0 ? 'iterate-input' : `iterate-static-${names[i - 1]!}`, inputs: [d.transformation], factory: () => new MapOperator((row: unknown) => [i, row]) })
    t.parallelism = d.transformation.parallelism
    return t
  })
  const input = tagged.length === 1 ? tagged[0]! : env.addTransformation({ kind: 'union', name: 'iterate-inputs', inputs: tagged })
  const { batchSize, channelCapacity, maxParallelism } = env
  const run: RunSuperstep = async (current, statics, iteration, signal) => {
    const inner = StreamEnvironment.create({ parallelism: 1, batchSize, channelCapacity, maxParallelism })
    const byName: Record<string, DataSet<any>> = {}
    statics.forEach((rows, i) => { byName[names[i]!] = inner.fromCollection(rows, undefined, names[i]).toDataSet() })
    const result = step(inner.fromCollection(current as T[], undefined, 'current').toDataSet(), byName as S, iteration)
    const { next, termination } = result instanceof DataSet ? { next: result, termination: undefined } : (result ?? {}) as { next?: DataSet<T>, termination?: DataSet<unknown> }
    if (!(next instanceof DataSet) || next.environment !== inner) throw new JobDefinitionError('The step of iterate must return the data set it built from its arguments (or { next, termination })')
    if (termination !== undefined && (!(termination instanceof DataSet) || termination.environment !== inner)) throw new JobDefinitionError('The termination criterion of iterate must be a data set built from the step\'s arguments')
    const out = next.collect()
    const stop: CollectedOutput<unknown> | undefined = termination?.collect()
    const channels = new LocalChannelProvider(channelCapacity)
    try {
      await runTasks(inner.getJobGraph(), { jobId: `iteration-${iteration}`, jobName: `iteration ${iteration}`, channels, signal, batchSize })
    } finally {
      channels.release()
    }
    return { next: out.values, terminate: stop !== undefined && stop.values.length === 0 }
  }
  const t = env.addTransformation({ kind: 'operator', name: 'iterate', inputs: [input], factory: () => new IterateOperator(maxIterations, names.length, run) })
  t.parallelism = 1
  t.chaining = false
  return DataSet.fromTransformation<T>(env, t, {}, 'iterate')
}

/**
 * Helpers of the DataSet API shared by its files: argument checks, the parallelism a
 * combiner inherits from its input, and the combiner behind `aggregate({...})`.
 */
import type { DatasetSchema } from './dataset-schema.ts'
import type { Transformation } from '../graph/transformation.ts'
import type { AggregateSpec, Aggregator } from './aggregators.ts'
import { compileAggregates, isBuiltInAggregator } from './aggregators.ts'
import type { ResolvedKey } from './data-set-keys.ts'
import type { Combiner } from '../runtime/operators/batch/combiner.ts'
import type { DataSetProps } from './data-set.ts'
import type { StreamEnvironment } from './stream-environment.ts'
import { WatermarkStrategy } from './watermark-strategy.ts'
import { datasetAggregateSource } from '../runtime/datasets/dataset-aggregate-source.ts'
import { InvalidArgumentError } from './errors.ts'

export function needFunction (what: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new InvalidArgumentError(`${what} needs a function, got ${fn === null ? 'null' : typeof fn}`)
}

/** Fails naming the first of `columns` the schema (when known) does not have. */
export function checkColumns (what: string, schema: DatasetSchema | undefined, columns: readonly string[]): void {
  if (schema === undefined) return
  for (const c of columns) {
    if (!schema.columns.some(s => s.name === c)) {
      throw new InvalidArgumentError(`${what}: unknown column '${c}' (the columns are ${schema.columns.map(s => s.name).join(', ')})`)
    }
  }
}

/**
 * The parallelism of `t` when it is fixed at build time (set explicitly, or a
 * non-parallel source), else undefined. A combiner runs at it so it chains to its input:
 * it then combines before any shuffle, and a local sort sees its input's order.
 */
export function inheritedParallelism (t: Transformation): number | undefined {
  if (!t.physical) return undefined
  return t.parallelism ?? (t.nonParallel ? 1 : undefined)
}

/**
 * The combiner of `aggregate(spec)`: its accumulator is one accumulator per aggregator,
 * its result a record with the key (the key column(s) for a column key, `key` for a key
 * function, nothing for a whole-set aggregate) and one field per aggregator.
 */
export function aggregateCombiner<T> (spec: AggregateSpec<T>, names: readonly string[], key: ResolvedKey<T> | undefined): Combiner<T, unknown, any> {
  const aggs: Aggregator<T, any, any>[] = names.map(n => spec[n]!)
  const columns = key?.columns
  const keyFields = key === undefined ? [] : columns ?? ['key']
  for (const n of names) {
    if (keyFields.includes(n)) throw new InvalidArgumentError(`aggregate: the output '${n}' clashes with the key ${columns === undefined ? "field 'key'" : `column '${n}'`}: rename it`)
  }
  const k = aggs.length
  // one accumulator record for all aggregators, with `add` compiled for them (the hot loop)
  const compiled = compileAggregates(aggs)
  const record = (raw: unknown, acc: unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    if (key !== undefined) {
      if (columns === undefined || columns.length === 1) out[keyFields[0]!] = raw ?? null
      else for (let i = 0; i < columns.length; i++) out[columns[i]!] = (raw as unknown[])[i] ?? null
    }
    for (let i = 0; i < k; i++) out[names[i]!] = compiled.result(acc, i)
    return out
  }
  return {
    first: v => compiled.add(compiled.create(), v),
    add: compiled.add,
    merge: compiled.merge,
    result: record,
    ...(key === undefined ? { empty: () => record(undefined, compiled.create()) } : {})
  }
}

/**
 * The aggregation `aggregates` (folded by `combiner`) of `input` by `keyColumns` (none: the
 * whole set) pushed into `input`'s dataset scan, when `input` is a readDataset scan and every
 * aggregator is a built-in: a source transformation emitting the partials that
 * PartialAggregateOperator would (see runtime/datasets/columnar-aggregate-scan.ts), else
 * undefined (the caller adds the row-by-row combiner). The fused source keeps the scan's
 * name, parallelism and placement; the scan's own source is left to whatever else reads it.
 */
export function scanAggregation<T> (
  input: { readonly environment: StreamEnvironment, readonly transformation: Transformation, readonly props: DataSetProps },
  keyColumns: readonly string[],
  aggregates: readonly Aggregator<T, any, any>[],
  combiner: Combiner<T, any, any>
): Transformation | undefined {
  const scan = input.props.scan
  const t = input.transformation
  if (scan === undefined || t.kind !== 'source' || !aggregates.every(isBuiltInAggregator)) return undefined
  const source = datasetAggregateSource(scan.name, scan.options, { keyColumns, combiner })
  const fused = input.environment.addTransformation({ kind: 'source', name: t.name, source, watermarks: WatermarkStrategy.noWatermarks() })
  fused.parallelism = t.parallelism
  fused.placement = t.placement
  fused.chaining = t.chaining
  return fused
}

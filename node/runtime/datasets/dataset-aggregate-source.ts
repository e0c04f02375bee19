/**
 * A dataset scan fused with the partial aggregation that follows it (see
 * columnar-aggregate-scan.ts): the source of `readDataset(...).groupBy(cols).aggregate({...})`
 * when the DataSet API can push the aggregation into the scan. It has the splits of the
 * plain scan (one per partition, segments pruned by their statistics, the same placement
 * near replicas and the same pinned version) and emits `[rawKey, acc]` partials instead of
 * rows, which the usual shuffle and FinalAggregateOperator merge.
 *
 * A split's position is segment-granular: a segment whose partials have not been emitted
 * yet (folded, held in memory) is still listed in the snapshot, so a restore reads it again
 * and nothing is counted twice or lost. The next segment is read while one is folded.
 *
 * @example
 * env.fromSource(datasetAggregateSource('lineitem', { columns: ['flag', 'qty'] }, { keyColumns: ['flag'], combiner }))
 */
import type { Source, SourceReader, SourceReaderContext, SplitContext } from '../../api/source.ts'
import type { DatasetSchema, ScanSpec } from '../../api/dataset-schema.ts'
import type { SegmentView } from '../../storage/datasets/segment-reader.ts'
import type { Combiner, Partial } from '../operators/batch/combiner.ts'
import { DEFAULT_COMBINE_MAX_KEYS } from '../operators/batch/partial-aggregate-operator.ts'
import { datasetSource, type DatasetSourceOptions, type DatasetSplit } from './dataset-source.ts'
import { ColumnarAggregateScan } from './columnar-aggregate-scan.ts'
import { DatasetUnavailableError } from '../errors.ts'
import { SegmentReadAhead, segmentColumns } from './segment-columns.ts'

/** The aggregation pushed into the scan. */
export interface ScanAggregation {
  /** Key columns in order; empty for a whole-set aggregate. */
  readonly keyColumns: readonly string[]
  readonly combiner: Combiner<any, any, any>
  /** Keys held before the partials are emitted (default as PartialAggregateOperator's). */
  readonly maxKeys?: number
}

class DatasetAggregateReader implements SourceReader<Partial, DatasetSplit> {
  readonly #name: string
  readonly #scanSpec: ScanSpec
  readonly #aggregation: ScanAggregation
  readonly #context: SourceReaderContext
  readonly #queue: DatasetSplit[] = []
  #scan: ColumnarAggregateScan | undefined
  /** Partials drained and not yet all emitted. */
  #out: Partial[] = []
  #at = 0
  /** Segments folded into partials not yet emitted, per partition (with a split to list them in). */
  #folded = new Map<number, { split: DatasetSplit, cids: string[] }>()
  /** As #folded, for the partials in #out. */
  #emitting = new Map<number, { split: DatasetSplit, cids: string[] }>()
  /** The read of the queue's next segment, started while the current one is folded. */
  readonly #ahead = new SegmentReadAhead(async (cid, schema, columns) => await this.#read(cid, schema, columns))

  constructor (name: string, scan: ScanSpec, aggregation: ScanAggregation, context: SourceReaderContext) {
    this.#name = name
    this.#scanSpec = scan
    this.#aggregation = aggregation
    this.#context = context
  }

  addSplits (splits: DatasetSplit[]): void {
    for (const s of splits) if (s.segments.length > 0) this.#queue.push({ ...s, offset: 0 })
  }

  pollNext (max: number): Partial[] | null | Promise<Partial[] | null> {
    if (this.#at < this.#out.length) {
      const batch = this.#out.slice(this.#at, this.#at + max)
      this.#at += batch.length
      if (this.#at === this.#out.length) {
        this.#out = []
        this.#at = 0
        this.#emitting.clear()
      }
      return batch
    }
    if (this.#queue.length === 0) {
      if (this.#scan === undefined || this.#scan.keys === 0) return null
      this.#drain()
      return this.pollNext(max)
    }
    return this.#foldNext().then(() => this.pollNext(max))
  }

  async #foldNext (): Promise<void> {
    const split = this.#queue[0]!
    const cid = split.segments[0]!
    this.#scan ??= new ColumnarAggregateScan({ schema: split.schema, scan: this.#scanSpec, keyColumns: this.#aggregation.keyColumns, combiner: this.#aggregation.combiner })
    const scan = this.#scan
    // the following segment is read while this one is folded
    const following = split.segments[1] ?? this.#queue[1]?.segments[0]
    scan.foldView(await this.#ahead.take(cid, split.schema, scan.needed, following))
    let folded = this.#folded.get(split.partition)
    if (folded === undefined) this.#folded.set(split.partition, folded = { split, cids: [] })
    folded.cids.push(cid)
    if (split.segments.length > 1) this.#queue[0] = { ...split, segments: split.segments.slice(1) }
    else this.#queue.shift()
    if (this.#scan.keys >= (this.#aggregation.maxKeys ?? DEFAULT_COMBINE_MAX_KEYS)) this.#drain()
  }

  #drain (): void {
    this.#out = this.#scan!.drain()
    this.#at = 0
    for (const [p, f] of this.#folded) {
      const e = this.#emitting.get(p)
      if (e === undefined) this.#emitting.set(p, f)
      else e.cids.push(...f.cids)
    }
    this.#folded = new Map()
  }

  /** A segment's needed columns (from the peer's column cache when it has one). */
  async #read (cid: string, schema: DatasetSchema, columns: readonly string[]): Promise<SegmentView> {
    const datasets = this.#context.datasets
    if (datasets === undefined) throw new DatasetUnavailableError(this.#name)
    return await segmentColumns(datasets, cid, schema, columns, this.#context.signal)
  }

  /** Unread segments, and the folded ones whose partials have not all gone out, per partition in order. */
  snapshotSplits (): DatasetSplit[] {
    const held = new Map<number, { split: DatasetSplit, cids: string[] }>()
    for (const m of [this.#emitting, this.#folded]) {
      for (const [p, f] of m) {
        const h = held.get(p)
        if (h === undefined) held.set(p, { split: f.split, cids: [...f.cids] })
        else h.cids.push(...f.cids)
      }
    }
    const out: DatasetSplit[] = []
    for (const s of this.#queue) {
      const h = held.get(s.partition)
      held.delete(s.partition)
      out.push(h === undefined ? s : { ...s, segments: [...h.cids, ...s.segments] })
    }
    for (const h of held.values()) out.push({ ...h.split, segments: h.cids, offset: 0 })
    return out
  }

  close (): void {}
}

/** Reads dataset `name` and aggregates it partially as it reads (see the module comment). */
export function datasetAggregateSource (name: string, options: DatasetSourceOptions, aggregation: ScanAggregation): Source<Partial, DatasetSplit> & { readonly dataset: { readonly name: string, readonly version: number | undefined } } {
  const scan = datasetSource(name, options)
  const spec: ScanSpec = {
    ...(options.columns === undefined ? {} : { columns: options.columns }),
    ...(options.predicate === undefined ? {} : { predicate: options.predicate })
  }
  return {
    bounded: true,
    dataset: scan.dataset,
    createSplits: (parallelism: number, context?: SplitContext) => scan.createSplits(parallelism, context),
    createReader: context => new DatasetAggregateReader(name, spec, aggregation, context)
  }
}

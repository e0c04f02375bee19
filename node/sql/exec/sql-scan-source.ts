/**
 * The vectorized leaf of a SQL query over a dataset version, as a bounded Source: the
 * splits of the dataset scan (one per partition, segments pruned by their statistics
 * against `predicate`, the job's pinned version), and per segment the ScanKernel: only the
 * read columns decoded (taken from the peer's column cache when it holds them, see
 * segment-columns.ts), the filter into a selection vector, then either the output rows
 * (`outputs` over the read columns) or, with `aggregate`, the `[rawKey, acc]` partials of
 * sqlAggregateCombiner, which the usual shuffle and FinalAggregateOperator merge.
 *
 * Positions follow dataset-source.ts and dataset-aggregate-source.ts: emitting rows, a
 * split's position is its segments left and the rows of the current one already emitted
 * (counted after the filter); aggregating, a segment folded into partials not yet drained
 * stays listed, and drained partials not yet emitted travel in the split (SqlScanSplit
 * `pending`), so a restore neither loses nor doubles rows. The next segment is read while
 * one is processed.
 *
 * @example
 * env.fromSource(sqlScanSource({ dataset: 'lineitem', columns: ['l_extendedprice', 'l_discount'], filter, aggregate: { groupBy: [], aggregates } }))
 */
import type { Source, SourceReader, SourceReaderContext, SplitContext } from '../../api/source.ts'
import type { DatasetSchema, Predicate } from '../../api/dataset-schema.ts'
import type { Partial } from '../../runtime/operators/batch/combiner.ts'
import { DEFAULT_COMBINE_MAX_KEYS } from '../../runtime/operators/batch/partial-aggregate-operator.ts'
import { datasetSource, type DatasetSplit } from '../../runtime/datasets/dataset-source.ts'
import { DatasetUnavailableError } from '../../runtime/errors.ts'
import { selectRows } from '../../storage/datasets/predicate-select.ts'
import type { SegmentView } from '../../storage/datasets/segment-reader.ts'
import { SegmentReadAhead, segmentColumns } from '../../runtime/datasets/segment-columns.ts'
import type { AggregateCall, BoundExpr } from '../bound-expression.ts'
import { ScanKernel } from './scan-kernel.ts'

export interface SqlScanInit {
  readonly dataset: string
  readonly version?: number | undefined
  /** Dataset columns read; expression input i is columns[i]. */
  readonly columns: readonly string[]
  /** Storage form of (part of) the filter: prunes segments by their statistics (and filters rows when `filter` is not given). */
  readonly predicate?: Predicate | undefined
  /** The full filter over the read columns. */
  readonly filter?: BoundExpr | undefined
  /** Projection over the read columns → emitted row arrays (default: the columns as read). */
  readonly outputs?: readonly BoundExpr[]
  /** When set: emit the partials `[rawKey, acc]` of sqlAggregateCombiner instead of rows. */
  readonly aggregate?: { readonly groupBy: readonly BoundExpr[], readonly aggregates: readonly AggregateCall[] }
  /** Groups held before partials are emitted (default as PartialAggregateOperator's). */
  readonly maxKeys?: number
}

/**
 * A split of the SQL scan: the dataset scan's, and when aggregating, partials that were
 * drained but had not gone out when the snapshot was taken (emitted first after a restore).
 */
export interface SqlScanSplit extends DatasetSplit {
  readonly pending?: readonly Partial[]
}

/** A segment being read: its CID and its columns (a promise until they arrive). */

class SqlScanReader implements SourceReader<unknown, SqlScanSplit> {
  readonly #init: SqlScanInit
  readonly #context: SourceReaderContext
  readonly #queue: DatasetSplit[] = []
  #kernel: ScanKernel | undefined
  readonly #ahead = new SegmentReadAhead(async (cid, schema, columns) => await this.#read(cid, schema, columns))
  // emitting rows: the current segment, its selection and how many rows of it went out
  #current: DatasetSplit | undefined
  #view: SegmentView | undefined
  #sel: Int32Array | null = null
  #selected = 0
  #emitted = 0
  // aggregating: partials drained and not yet all emitted; segments folded since the last drain
  #out: Partial[] = []
  #at = 0
  #folded = new Map<number, { split: DatasetSplit, cids: string[] }>()
  /** A split to carry pending partials in when no other is left. */
  #template: DatasetSplit | undefined

  constructor (init: SqlScanInit, context: SourceReaderContext) {
    this.#init = init
    this.#context = context
  }

  addSplits (splits: SqlScanSplit[]): void {
    for (const { pending, ...split } of splits) {
      this.#template ??= split
      if (pending !== undefined) this.#out.push(...pending)
      if (split.segments.length > 0) this.#queue.push(split)
    }
  }

  pollNext (max: number): unknown[] | null | Promise<unknown[] | null> {
    return this.#init.aggregate === undefined ? this.#pollRows(max) : this.#pollPartials(max)
  }

  #kernelOf (schema: DatasetSchema): ScanKernel {
    this.#kernel ??= new ScanKernel(schema, { columns: this.#init.columns, filter: this.#init.filter, outputs: this.#init.outputs, aggregate: this.#init.aggregate })
    return this.#kernel
  }

  /** The queue's first segment, decoded; the one after it starts loading. */
  async #load (): Promise<{ split: DatasetSplit, view: SegmentView }> {
    const split = this.#queue[0]!
    const cid = split.segments[0]!
    const kernel = this.#kernelOf(split.schema)
    // splits of one scan share the pinned version's schema
    const following = split.segments[1] ?? this.#queue[1]?.segments[0]
    return { split, view: await this.#ahead.take(cid, split.schema, kernel.columns, following) }
  }

  #select (view: SegmentView): Int32Array | null {
    const { filter, predicate } = this.#init
    if (filter === undefined && predicate !== undefined) return Int32Array.from(selectRows(view, predicate))
    return this.#kernel!.select(view)
  }

  #pollRows (max: number): unknown[] | null | Promise<unknown[] | null> {
    const view = this.#view
    if (this.#current !== undefined && view !== undefined && this.#emitted < this.#selected) {
      const n = Math.min(max, this.#selected - this.#emitted)
      const batch = this.#kernel!.rows(view, this.#sel, this.#emitted, n)
      this.#emitted += n
      return batch
    }
    if (this.#current !== undefined) {
      // the current segment is done: its split moves on to the next one
      const s = this.#current
      this.#current = undefined
      this.#view = undefined
      if (s.segments.length > 1) this.#queue.unshift({ ...s, segments: s.segments.slice(1), offset: 0 })
    }
    if (this.#queue.length === 0) return null
    return this.#load().then(({ split, view }) => {
      this.#queue.shift()
      this.#view = view
      this.#sel = this.#select(view)
      this.#selected = this.#sel === null ? view.rows : this.#sel.length
      this.#emitted = Math.min(split.offset, this.#selected)
      this.#current = split
      return this.#pollRows(max)
    })
  }

  #pollPartials (max: number): unknown[] | null | Promise<unknown[] | null> {
    if (this.#at < this.#out.length) {
      const batch = this.#out.slice(this.#at, this.#at + max)
      this.#at += batch.length
      if (this.#at === this.#out.length) {
        this.#out = []
        this.#at = 0
      }
      return batch
    }
    if (this.#queue.length === 0) {
      if (this.#kernel === undefined || this.#kernel.keys === 0) return null
      this.#drain()
      return this.#pollPartials(max)
    }
    return this.#foldNext().then(() => this.#pollPartials(max))
  }

  async #foldNext (): Promise<void> {
    const { split, view } = await this.#load()
    const kernel = this.#kernel!
    kernel.fold(view, this.#init.filter === undefined && this.#init.predicate !== undefined ? this.#select(view) : undefined)
    const cid = split.segments[0]!
    let folded = this.#folded.get(split.partition)
    if (folded === undefined) this.#folded.set(split.partition, folded = { split, cids: [] })
    folded.cids.push(cid)
    if (split.segments.length > 1) this.#queue[0] = { ...split, segments: split.segments.slice(1) }
    else this.#queue.shift()
    if (kernel.keys >= (this.#init.maxKeys ?? DEFAULT_COMBINE_MAX_KEYS)) this.#drain()
  }

  #drain (): void {
    this.#out = this.#kernel!.drain()
    this.#at = 0
    this.#folded = new Map()
  }

  /** A segment's read columns: from the peer's column cache when its DatasetAccess has one. */
  async #read (cid: string, schema: DatasetSchema, columns: readonly string[]): Promise<SegmentView> {
    const datasets = this.#context.datasets
    if (datasets === undefined) throw new DatasetUnavailableError(this.#init.dataset)
    return await segmentColumns(datasets, cid, schema, columns, this.#context.signal)
  }

  snapshotSplits (): SqlScanSplit[] {
    if (this.#init.aggregate === undefined) {
      const splits: DatasetSplit[] = []
      const c = this.#current
      if (c !== undefined) {
        if (this.#emitted < this.#selected) splits.push({ ...c, offset: this.#emitted })
        else if (c.segments.length > 1) splits.push({ ...c, segments: c.segments.slice(1), offset: 0 })
      }
      splits.push(...this.#queue)
      return splits
    }
    // folded segments whose partials were not drained are read again after a restore; drained
    // partials not yet emitted travel in the snapshot (those emitted are downstream already)
    const held = this.#folded
    const out: SqlScanSplit[] = []
    for (const s of this.#queue) {
      const h = held.get(s.partition)
      out.push(h === undefined ? s : { ...s, segments: [...h.cids, ...s.segments] })
    }
    for (const [p, h] of held) if (!this.#queue.some(s => s.partition === p)) out.push({ ...h.split, segments: h.cids, offset: 0 })
    const pending = this.#out.slice(this.#at)
    if (pending.length > 0) {
      if (out.length > 0) out[0] = { ...out[0]!, pending }
      else {
        out.push({ ...this.#template!, segments: [], offset: 0, pending })
      }
    }
    return out
  }

  close (): void {}
}

/** The SQL scan of `init.dataset` (see the module comment). */
export function sqlScanSource (init: SqlScanInit): Source<unknown, SqlScanSplit> & { readonly dataset: { name: string, version: number | undefined } } {
  const scan = datasetSource(init.dataset, {
    columns: init.columns,
    ...(init.version === undefined ? {} : { version: init.version }),
    ...(init.predicate === undefined ? {} : { predicate: init.predicate })
  })
  return {
    bounded: true,
    dataset: { name: init.dataset, version: init.version },
    createSplits: (parallelism: number, context?: SplitContext) => scan.createSplits(parallelism, context),
    createReader: context => new SqlScanReader(init, context)
  }
}

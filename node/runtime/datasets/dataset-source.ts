/**
 * A dataset as a bounded source (`env.readDataset(name)`, `datasetSource(name)`): each
 * partition is a split, read segment by segment, so a scan at the dataset's partition
 * count gives subtask p partition p (where the scheduler places it near a replica).
 * Splits are listed from the version the job is pinned to; segments whose statistics rule
 * out the predicate are skipped before any byte is read, only the projected columns are
 * decoded, and rows failing the predicate never leave the source. The position of a split
 * (segments left, rows of the current one already emitted) is its checkpointed state.
 *
 * @example
 * env.fromSource(datasetSource('sales', { columns: ['store', 'amount'], predicate: { op: '>', column: 'amount', value: 10 } }))
 */
import type { Source, SourceReader, SourceReaderContext, SourceSplit, SplitContext } from '../../api/source.ts'
import type { DatasetSchema, ScanSpec } from '../../api/dataset-schema.ts'
import { segmentMayMatch, validatePredicate } from '../../storage/datasets/predicate.ts'
import { scanColumns, scanView, type SegmentScan } from '../../storage/datasets/segment-rows.ts'
import { segmentColumns } from './segment-columns.ts'
import { DatasetUnavailableError } from '../errors.ts'
import type { JobGraph } from '../../graph/job-graph.ts'

export interface DatasetSourceOptions extends ScanSpec {
  /** A retained version to read (default: the version the job was pinned to at submit). */
  readonly version?: number
}

/** One partition of the dataset and how far it has been read. */
export interface DatasetSplit extends SourceSplit {
  readonly partition: number
  /** CIDs of the segments still to read, in order. */
  readonly segments: readonly string[]
  /** Rows of the first segment already emitted. */
  readonly offset: number
  readonly schema: DatasetSchema
}

class DatasetReader implements SourceReader<Record<string, unknown>, DatasetSplit> {
  readonly #name: string
  readonly #scan: ScanSpec
  readonly #context: SourceReaderContext
  readonly #queue: DatasetSplit[] = []
  /** The segment being emitted (decoded, its records built a batch at a time) and how many went out. */
  #scanned: SegmentScan | undefined
  #emitted = 0
  #current: DatasetSplit | undefined

  constructor (name: string, scan: ScanSpec, context: SourceReaderContext) {
    this.#name = name
    this.#scan = scan
    this.#context = context
  }

  addSplits (splits: DatasetSplit[]): void {
    for (const s of splits) if (s.segments.length > 0) this.#queue.push(s)
  }

  pollNext (max: number): Record<string, unknown>[] | null | Promise<Record<string, unknown>[] | null> {
    const scanned = this.#scanned
    if (this.#current !== undefined && scanned !== undefined && this.#emitted < scanned.rows) {
      const batch = scanned.records(this.#emitted, this.#emitted + max)
      this.#emitted += batch.length
      return batch as Record<string, unknown>[]
    }
    if (this.#current !== undefined) this.#advance()
    if (this.#queue.length === 0) return null
    return this.#load().then(() => this.pollNext(max))
  }

  /** The current segment is done: the split moves to its next one. */
  #advance (): void {
    const s = this.#current!
    this.#current = undefined
    this.#scanned = undefined
    const rest = { ...s, segments: s.segments.slice(1), offset: 0 }
    if (rest.segments.length > 0) this.#queue.unshift(rest)
  }

  async #load (): Promise<void> {
    const datasets = this.#context.datasets
    if (datasets === undefined) throw new DatasetUnavailableError(this.#name)
    const split = this.#queue.shift()!
    const view = await segmentColumns(datasets, split.segments[0]!, split.schema, scanColumns(split.schema, this.#scan), this.#context.signal)
    // filtered rows: the offset counts rows emitted, i.e. rows after the filter
    this.#scanned = scanView(view, split.schema, this.#scan)
    this.#emitted = Math.min(split.offset, this.#scanned.rows)
    this.#current = split
  }

  snapshotSplits (): DatasetSplit[] {
    const splits: DatasetSplit[] = []
    if (this.#current !== undefined) {
      if (this.#emitted < (this.#scanned?.rows ?? 0)) splits.push({ ...this.#current, offset: this.#emitted })
      else if (this.#current.segments.length > 1) splits.push({ ...this.#current, segments: this.#current.segments.slice(1), offset: 0 })
    }
    splits.push(...this.#queue)
    return splits
  }

  close (): void {}
}

/** Reads dataset `name` (see the module comment). */
export function datasetSource (name: string, options: DatasetSourceOptions = {}): Source<Record<string, unknown>, DatasetSplit> & { readonly dataset: { readonly name: string, readonly version: number | undefined } } {
  const scan: ScanSpec = {
    ...(options.columns === undefined ? {} : { columns: options.columns }),
    ...(options.predicate === undefined ? {} : { predicate: options.predicate })
  }
  return {
    bounded: true,
    dataset: { name, version: options.version },
    async createSplits (_parallelism: number, context?: SplitContext): Promise<DatasetSplit[]> {
      const datasets = context?.datasets
      if (datasets === undefined) throw new DatasetUnavailableError(name)
      const manifest = await datasets.manifest(name, { ...(options.version === undefined ? {} : { version: options.version }), ...(context?.signal === undefined ? {} : { signal: context.signal }) })
      const schema = manifest.schema
      if (scan.columns !== undefined) {
        for (const c of scan.columns) {
          if (!schema.columns.some(col => col.name === c)) throw new TypeError(`Dataset '${name}' has no column '${c}' (columns: ${schema.columns.map(col => col.name).join(', ')})`)
        }
      }
      if (scan.predicate !== undefined) validatePredicate(schema, scan.predicate)
      return manifest.partitions.map((segments, partition) => ({
        id: `p${partition}`,
        partition,
        segments: segments.filter(s => scan.predicate === undefined || segmentMayMatch(s.stats, s.rows, scan.predicate)).map(s => s.cid),
        offset: 0,
        schema
      }))
    },
    createReader: context => new DatasetReader(name, scan, context)
  }
}

/** The datasets a job's graph reads: each dataset source's name and the version it asks for. */
export function datasetReadsOf (graph: JobGraph): { name: string, version: number | undefined }[] {
  const reads: { name: string, version: number | undefined }[] = []
  for (const v of graph.vertices) {
    const dataset = (v.source?.source as { dataset?: { name?: unknown, version?: unknown } } | undefined)?.dataset
    if (typeof dataset?.name === 'string') reads.push({ name: dataset.name, version: typeof dataset.version === 'number' ? dataset.version : undefined })
  }
  return reads
}

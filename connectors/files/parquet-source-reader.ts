/**
 * The reader of one `fileSource({ format: 'parquet' })` subtask: its splits are row groups
 * of Parquet files, read in batches of records. A split's position is the number of rows of
 * its row group already emitted, so a restored reader skips exactly those and no record is
 * read twice or lost. A split of a file in Hive partition directories adds the partition
 * columns to each record.
 */
import { dirname } from 'node:path'
import type { SourceReader, SourceReaderContext } from '../../node/api/source.ts'
import type { ColumnType } from '../../node/api/dataset-schema.ts'
import type { ParquetSplit } from './file-source.ts'
import { fileReadOptions, partitionValuesOf } from './hive-partitions.ts'
import { openParquetFile, type ParquetFileReader } from './parquet-read.ts'

/** Options of a ParquetSourceReader. */
export interface ParquetSourceReaderInit {
  readonly columns: readonly string[] | undefined
  readonly batchRows: number
  /** Types of partition columns (from the source's schema); others are strings. */
  readonly partitionTypes?: ReadonlyMap<string, ColumnType>
}

interface OpenGroup<T> {
  readonly split: ParquetSplit
  readonly file: ParquetFileReader
  readonly batches: AsyncGenerator<T[]>
  /** Rows of the row group emitted so far. */
  row: number
  /** Records read and not yet emitted. */
  buffered: T[]
  at: number
}

export class ParquetSourceReader<T> implements SourceReader<T, ParquetSplit> {
  readonly #init: ParquetSourceReaderInit
  readonly #context: SourceReaderContext
  readonly #queue: ParquetSplit[] = []
  #current: OpenGroup<T> | undefined
  #opening: ParquetSplit | undefined
  #closed = false

  constructor (init: ParquetSourceReaderInit, context: SourceReaderContext) {
    this.#init = init
    this.#context = context
  }

  addSplits (splits: ParquetSplit[]): void {
    for (const s of splits) this.#queue.push({ id: s.id, path: s.path, rowGroup: s.rowGroup, row: s.row, ...(s.partitions === undefined ? {} : { partitions: s.partitions }) })
  }

  /** Up to `max` records: synchronous while a decoded batch lasts, a promise while the next is decoded. */
  pollNext (max: number): T[] | null | Promise<T[] | null> {
    if (this.#closed || this.#context.signal.aborted) return null
    const g = this.#current
    if (g === undefined) {
      const next = this.#queue.shift()
      if (next === undefined) return null
      return this.#open(next).then(() => this.pollNext(max))
    }
    if (g.at < g.buffered.length) {
      const out = g.buffered.slice(g.at, g.at + max)
      g.at += out.length
      g.row += out.length
      return out
    }
    return g.batches.next().then(async r => {
      if (r.done === true) {
        this.#current = undefined
        g.file.close()
      } else {
        g.buffered = r.value
        g.at = 0
      }
      return this.pollNext(max)
    })
  }

  snapshotSplits (): ParquetSplit[] {
    const splits: ParquetSplit[] = []
    const g = this.#current
    if (g !== undefined) splits.push({ ...g.split, row: g.row })
    if (this.#opening !== undefined) splits.push({ ...this.#opening })
    for (const s of this.#queue) splits.push({ ...s })
    return splits
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const g = this.#current
    this.#current = undefined
    if (g !== undefined) {
      await g.batches.return(undefined).catch(() => {})
      g.file.close()
    }
  }

  async #open (split: ParquetSplit): Promise<void> {
    this.#opening = split
    const file = await openParquetFile(split.path, { batchRows: this.#init.batchRows, ...fileReadOptions(this.#init.columns, split.partitions) })
    this.#opening = undefined
    if (this.#closed) {
      file.close()
      return
    }
    const rows = file.batches(split.rowGroup, split.row)
    this.#current = {
      split,
      file,
      batches: (split.partitions === undefined ? rows : withPartitions(rows, partitionValuesOf(split.partitions, this.#init.partitionTypes ?? new Map(), dirname(split.path)), this.#init.columns)) as AsyncGenerator<T[]>,
      row: split.row,
      buffered: [],
      at: 0
    }
  }
}

/**
 * Adds the partition values to every record: after the file's columns, or, when `columns`
 * are asked for, as records of exactly those columns in that order.
 */
async function * withPartitions (batches: AsyncGenerator<Array<Record<string, unknown>>>, values: Record<string, unknown>, columns: readonly string[] | undefined): AsyncGenerator<Array<Record<string, unknown>>> {
  const names = Object.keys(values)
  for await (const rows of batches) {
    if (columns === undefined) {
      for (const r of rows) for (const name of names) r[name] = values[name]
      yield rows
    } else {
      yield rows.map(r => {
        const out: Record<string, unknown> = {}
        for (const c of columns) out[c] = Object.hasOwn(values, c) ? values[c] : r[c]
        return out
      })
    }
  }
}

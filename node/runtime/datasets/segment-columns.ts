/**
 * A scan's read of one segment as decoded columns: through the DatasetAccess's
 * `readColumns` when it has one (the peer's cache of decoded columns, SegmentColumnCache),
 * else its bytes decoded here (a task thread's proxy, a DatasetAccess of a test).
 *
 * @example
 * const view = await segmentColumns(context.datasets, cid, split.schema, ['price', 'discount'], context.signal)
 */
import type { DatasetAccess } from '../../api/dataset-access.ts'
import type { DatasetSchema } from '../../api/dataset-schema.ts'
import { readSegment, type SegmentView } from '../../storage/datasets/segment-reader.ts'

/**
 * The columns `columns` of segment `cid` (see the module comment).
 *
 * @throws what reading the segment throws, CorruptSegmentError, UnknownColumnError
 */
export async function segmentColumns (datasets: DatasetAccess, cid: string, schema: DatasetSchema, columns: readonly string[], signal?: AbortSignal): Promise<SegmentView> {
  const options = signal === undefined ? {} : { signal }
  if (datasets.readColumns !== undefined) return await datasets.readColumns(cid, schema, columns, options)
  return readSegment(await datasets.readSegment(cid, options), schema, { columns })
}

/**
 * One segment read ahead: a scan takes the segment it needs now (the one read ahead when it
 * is that one) and starts reading the next, which loads while this one is processed. A
 * failed read ahead surfaces when its segment is taken, never as an unhandled rejection.
 *
 * @example
 * const ahead = new SegmentReadAhead((cid, schema, columns) => segmentColumns(datasets, cid, schema, columns))
 * const view = await ahead.take(cid, schema, columns, split.segments[1])
 */
export class SegmentReadAhead {
  readonly #read: (cid: string, schema: DatasetSchema, columns: readonly string[]) => Promise<SegmentView>
  #next: { readonly cid: string, readonly view: Promise<SegmentView> } | undefined

  constructor (read: (cid: string, schema: DatasetSchema, columns: readonly string[]) => Promise<SegmentView>) {
    this.#read = read
  }

  /** Segment `cid`'s columns; `following` (of the same schema) starts loading now. */
  async take (cid: string, schema: DatasetSchema, columns: readonly string[], following: string | undefined): Promise<SegmentView> {
    const view = this.#next?.cid === cid ? this.#next.view : this.#read(cid, schema, columns)
    this.#next = undefined
    if (following !== undefined) {
      const read = this.#read(following, schema, columns)
      // awaited when its turn comes; a failure before then must not go unhandled
      read.catch(() => {})
      this.#next = { cid: following, view: read }
    }
    return await view
  }
}

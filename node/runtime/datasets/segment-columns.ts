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

/**
 * Driving a connector's SourceReader by hand in tests: a reader with a test context, and
 * polling it to the end.
 */
import type { Source, SourceReader, SourceSplit } from 'meshflow'

/** A reader of `source` outside a job; side outputs land in `sideOutputs`. */
export function readerOf<T, S extends SourceSplit> (source: Source<T, S>, sideOutputs: unknown[] = []): SourceReader<T, S> {
  return source.createReader({
    subtaskIndex: 0,
    parallelism: 1,
    signal: new AbortController().signal,
    output: (_tag, value) => { sideOutputs.push(value) }
  })
}

/** Polls `reader` until it ends (or `limit` records were read), `max` records at a time. */
export async function readAll<T> (reader: SourceReader<T, any>, max = 1024, limit = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = []
  while (out.length < limit) {
    let batch = reader.pollNext(Math.min(max, limit - out.length))
    if (batch instanceof Promise) batch = await batch
    if (batch === null) break
    out.push(...batch)
  }
  return out
}

/**
 * Shared helpers of the file connector tests: temp directories and driving a reader.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Source, SourceReader, SourceSplit } from 'meshflow'

/** Runs `fn` with a fresh temp directory that is removed afterwards. */
export async function withTempDir<R> (fn: (dir: string) => Promise<R>): Promise<R> {
  const dir = await mkdtemp(join(tmpdir(), 'meshflow-files-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

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

/** Waits until `check` holds, polling every few milliseconds. */
export async function until (check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

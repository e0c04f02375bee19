/**
 * Gathers a stream's records into an array in this process (`stream.collect()`), for
 * tests and small bounded jobs. Records of all subtasks land in one array.
 */
import type { Sink } from './sink.ts'

export class CollectedOutput<T> {
  /** Records received so far; complete once `env.execute()` has resolved. */
  readonly values: T[] = []
}

export function collectSink<T> (into: CollectedOutput<T>): Sink<T> {
  return {
    createWriter: () => ({
      write (values) { for (const v of values) into.values.push(v) },
      finish () {},
      close () {}
    })
  }
}

/**
 * Writes each record to standard output as one line, like Flink's print(): objects as
 * JSON, strings as they are, prefixed by `prefix> ` and, at parallelism > 1, by the
 * subtask number. Waits for stdout to drain, so a slow terminal backpressures the job.
 */
import type { Sink, SinkWriter } from './sink.ts'

/** JSON cannot hold a bigint: inside a record one is printed as its digits in a string. */
function bigintAsText (_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/** How a record is printed: a string as it is, a bigint as its digits, anything else as JSON. */
export function formatRecord (value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  return JSON.stringify(value, bigintAsText) ?? String(value)
}

/** A sink that prints every record as a line of `stream` (see the module comment). */
export function printSink<T> (prefix: string | undefined, stream: NodeJS.WritableStream = process.stdout): Sink<T> {
  return {
    createWriter (ctx): SinkWriter<T> {
      const head = [prefix, ctx.parallelism > 1 ? String(ctx.subtaskIndex + 1) : undefined].filter(x => x !== undefined).join(':')
      const lead = head.length > 0 ? `${head}> ` : ''
      return {
        write (values) {
          let text = ''
          for (const v of values) text += lead + formatRecord(v) + '\n'
          if (!stream.write(text)) return new Promise<void>(resolve => { stream.once('drain', resolve) })
        },
        finish () {},
        close () {}
      }
    }
  }
}

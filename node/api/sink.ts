/**
 * The contract between the engine and a sink connector. Each parallel subtask of a sink
 * gets one writer; the engine hands it records in batches and awaits the promise a write
 * returns, so a slow sink backpressures its inputs all the way to the sources.
 *
 * @example
 * const sink: Sink<string> = { createWriter: () => ({ write: lines => { ... }, finish () {}, close () {} }) }
 */

export interface SinkWriterContext {
  readonly jobName: string
  /** Unique per execution of a job. */
  readonly jobId: string
  readonly subtaskIndex: number
  readonly parallelism: number
  readonly signal: AbortSignal
}

export interface SinkWriter<T> {
  /** Writes a batch; a returned promise holds back further input until it settles. */
  write(values: T[]): void | Promise<void>
  /** The input has ended: make everything written durable and visible. */
  finish(): void | Promise<void>
  /** Releases resources; called after `finish`, or on failure/cancel without it. */
  close(): void | Promise<void>
}

export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>
}

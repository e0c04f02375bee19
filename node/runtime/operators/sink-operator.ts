/**
 * Hands records to a connector's SinkWriter in batches: records of one input batch are
 * gathered and written together, and the task awaits the write before it takes more
 * input, so a slow sink backpressures the whole pipeline.
 */
import type { Sink, SinkWriter } from '../../api/sink.ts'
import { StreamOperator } from '../stream-operator.ts'

export class SinkOperator extends StreamOperator {
  readonly #sink: Sink<any>
  #writer: SinkWriter<any> | undefined
  #buffer: unknown[] = []
  /** The last write still in progress, if any. */
  #writing: Promise<void> | undefined

  constructor (sink: Sink<any>) {
    super()
    this.#sink = sink
  }

  override async open (): Promise<void> {
    const c = this.context
    try {
      this.#writer = await this.#sink.createWriter({
        jobName: c.jobName,
        jobId: c.jobId,
        subtaskIndex: c.subtaskIndex,
        parallelism: c.parallelism,
        signal: c.signal
      })
    } catch (err) {
      throw this.fail(err)
    }
  }

  processElement (value: unknown): void {
    this.#buffer.push(value)
  }

  override processWatermark (watermark: number): void {
    this.currentWatermark = watermark
  }

  /**
   * Writes what was buffered. Writes are chained one after the other, so a flush started by
   * a timer callback and one started by the task loop never overlap and keep their order;
   * the returned promise settles when this batch (and every earlier one) is written.
   */
  override flushBatch (): void | Promise<void> {
    if (this.#buffer.length === 0) return this.#writing
    const batch = this.#buffer
    this.#buffer = []
    const write = (): void | Promise<void> => {
      try {
        return this.#writer!.write(batch)
      } catch (err) {
        throw this.fail(err)
      }
    }
    const previous = this.#writing
    const pending = previous === undefined ? write() : previous.then(write)
    if (pending === undefined) return undefined
    const tracked: Promise<void> = pending.then(
      () => { if (this.#writing === tracked) this.#writing = undefined },
      err => { throw this.fail(err) })
    this.#writing = tracked
    return tracked
  }

  override async finish (): Promise<void> {
    await this.flushBatch()
    try {
      await this.#writer!.finish()
    } catch (err) {
      throw this.fail(err)
    }
  }

  override async close (): Promise<void> {
    const writer = this.#writer
    this.#writer = undefined
    await writer?.close()
  }
}

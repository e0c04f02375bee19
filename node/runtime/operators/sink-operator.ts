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

  override flushBatch (): void | Promise<void> {
    if (this.#buffer.length === 0) return
    const batch = this.#buffer
    this.#buffer = []
    let pending: void | Promise<void>
    try {
      pending = this.#writer!.write(batch)
    } catch (err) {
      throw this.fail(err)
    }
    if (pending !== undefined) return pending.catch(err => { throw this.fail(err) })
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

/**
 * Outputs that connect an operator to what follows it: operators chained into the same
 * task (called directly) and record writers of network edges. Side outputs go to the
 * writers of the edges that read that tag; a tag nobody reads is dropped, as in Flink.
 * Watermarks go everywhere, side-output edges included. Batches go through in one call
 * per batch and target (`collectBatch`), records one by one.
 */
import type { RecordWriter } from './record-writer.ts'
import type { Output, StreamOperator } from './stream-operator.ts'

export interface OutputTargets {
  readonly chained: readonly StreamOperator[]
  readonly writers: readonly RecordWriter[]
  /** Side-output edges by tag id. */
  readonly side: ReadonlyMap<string, readonly RecordWriter[]>
}

class SingleWriterOutput implements Output {
  readonly #writer: RecordWriter
  readonly #targets: OutputTargets
  constructor (writer: RecordWriter, targets: OutputTargets) {
    this.#writer = writer
    this.#targets = targets
  }

  collect (value: unknown, timestamp: number): void { this.#writer.emit(value, timestamp) }
  collectBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void { this.#writer.emitBatch(values, timestamps, n) }
  collectSide (tagId: string, value: unknown, timestamp: number): void { sendSide(this.#targets, tagId, value, timestamp) }
  emitWatermark (watermark: number): void { broadcastWatermark(this.#targets, watermark) }
}

class SingleChainedOutput implements Output {
  readonly #next: StreamOperator
  readonly #targets: OutputTargets
  constructor (next: StreamOperator, targets: OutputTargets) {
    this.#next = next
    this.#targets = targets
  }

  collect (value: unknown, timestamp: number): void { this.#next.processElement(value, timestamp) }
  collectBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void { this.#next.processBatch(values, timestamps, n) }
  collectSide (tagId: string, value: unknown, timestamp: number): void { sendSide(this.#targets, tagId, value, timestamp) }
  emitWatermark (watermark: number): void { broadcastWatermark(this.#targets, watermark) }
}

class FanOutOutput implements Output {
  readonly #targets: OutputTargets
  constructor (targets: OutputTargets) { this.#targets = targets }

  collect (value: unknown, timestamp: number): void {
    for (const op of this.#targets.chained) op.processElement(value, timestamp)
    for (const w of this.#targets.writers) w.emit(value, timestamp)
  }

  collectBatch (values: readonly unknown[], timestamps: readonly number[], n: number): void {
    for (const op of this.#targets.chained) op.processBatch(values, timestamps, n)
    for (const w of this.#targets.writers) w.emitBatch(values, timestamps, n)
  }

  collectSide (tagId: string, value: unknown, timestamp: number): void { sendSide(this.#targets, tagId, value, timestamp) }
  emitWatermark (watermark: number): void { broadcastWatermark(this.#targets, watermark) }
}

function sendSide (targets: OutputTargets, tagId: string, value: unknown, timestamp: number): void {
  const writers = targets.side.get(tagId)
  if (writers === undefined) return
  for (const w of writers) w.emit(value, timestamp)
}

function broadcastWatermark (targets: OutputTargets, watermark: number): void {
  for (const op of targets.chained) op.processWatermark(watermark)
  for (const w of targets.writers) w.emitWatermark(watermark)
  for (const ws of targets.side.values()) for (const w of ws) w.emitWatermark(watermark)
}

export function createOutput (targets: OutputTargets): Output {
  if (targets.chained.length === 0 && targets.writers.length === 1) return new SingleWriterOutput(targets.writers[0]!, targets)
  if (targets.chained.length === 1 && targets.writers.length === 0) return new SingleChainedOutput(targets.chained[0]!, targets)
  return new FanOutOutput(targets)
}

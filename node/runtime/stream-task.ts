/**
 * One parallel subtask of a job vertex: a chain of operators fused together, fed either by
 * a source reader or by an input gate, writing to record writers. The loop is the only
 * place that awaits: it takes a batch, pushes every record through the chain
 * synchronously, lets sinks write, and waits for credit when a downstream channel is full.
 */
import type { SourceReader, SourceSplit } from '../api/source.ts'
import type { InputGate } from './input-gate.ts'
import type { RecordWriter } from './record-writer.ts'
import type { SourceOperator } from './operators/source-operator.ts'
import type { ProcessingTimeService } from './processing-time-service.ts'
import { StreamOperator } from './stream-operator.ts'
import { MAX_WATERMARK } from './stream-element.ts'
import { WatermarkValve } from './watermark-valve.ts'

/** A busy task yields to the event loop at least this often (timers, I/O, other tasks). */
const YIELD_EVERY_MS = 10

function yieldToEventLoop (): Promise<void> {
  return new Promise(resolve => { setImmediate(resolve) })
}

export interface StreamTaskInit {
  readonly vertexId: string
  readonly name: string
  readonly subtaskIndex: number
  /** Operators of the chain, head first, each after the ones feeding it. */
  readonly operators: readonly StreamOperator[]
  /** Every writer of every operator in the chain. */
  readonly writers: readonly RecordWriter[]
  readonly processingTime: ProcessingTimeService
  readonly signal: AbortSignal
  readonly batchSize: number
  /** Input of an operator task. */
  readonly gate?: InputGate
  /** Input of a source task. */
  readonly source?: {
    readonly reader: SourceReader<unknown, SourceSplit>
    readonly splits: SourceSplit[]
    readonly idleTimeoutMs: number | undefined
  }
}

export class StreamTask {
  readonly vertexId: string
  readonly name: string
  readonly subtaskIndex: number
  readonly #init: StreamTaskInit
  readonly #head: StreamOperator
  readonly #sinks: StreamOperator[]
  /** Records taken from the source or the input gate. */
  recordsIn = 0
  #lastYield = performance.now()

  constructor (init: StreamTaskInit) {
    if (init.operators.length === 0) throw new Error('A task needs at least one operator')
    this.vertexId = init.vertexId
    this.name = init.name
    this.subtaskIndex = init.subtaskIndex
    this.#init = init
    this.#head = init.operators[0]!
    const base = StreamOperator.prototype.flushBatch
    this.#sinks = init.operators.filter(op => op.flushBatch !== base)
  }

  get isSource (): boolean { return this.#init.source !== undefined }

  /** Records this task's writers sent to other tasks. */
  get recordsOut (): number {
    let n = 0
    for (const w of this.#init.writers) n += w.recordsOut
    return n
  }

  async run (): Promise<void> {
    const { operators, signal } = this.#init
    let opened = 0
    try {
      for (let i = operators.length - 1; i >= 0; i--) {
        await operators[i]!.open()
        opened++
      }
      if (this.#init.source !== undefined) await this.#runSource()
      else await this.#runInputs()
      signal.throwIfAborted()
      for (const op of operators) op.endInput()
      for (const op of operators) await op.finish()
      for (const w of this.#init.writers) w.emitEnd()
    } finally {
      this.#init.processingTime.stop()
      const errors: unknown[] = []
      for (let i = operators.length - opened; i < operators.length; i++) {
        try {
          await operators[i]!.close()
        } catch (err) {
          errors.push(err)
        }
      }
      await this.#closeReader()
      // an error while closing must not hide the one that made the task fail
      if (errors.length > 0 && !signal.aborted) throw errors[0]
    }
  }

  async #closeReader (): Promise<void> {
    await this.#init.source?.reader.close()
  }

  /** Releases what the task holds when it will never run (its job failed to deploy). */
  async dispose (): Promise<void> {
    this.#init.processingTime.stop()
    await this.#closeReader()
  }

  #flushWriters (): void {
    for (const w of this.#init.writers) w.flush()
  }

  /**
   * Output produced outside the task loop (processing-time timers): send what writers hold
   * and start the chained sinks' writes; a failed write fails the job through `onError`.
   */
  afterCallback (onError: (err: unknown) => void): void {
    this.#flushWriters()
    for (const sink of this.#sinks) {
      const pending = sink.flushBatch()
      if (pending !== undefined) pending.catch(onError)
    }
  }

  async #afterBatch (): Promise<void> {
    // a task that always has input must still let timers and I/O run now and then
    const now = performance.now()
    if (now - this.#lastYield > YIELD_EVERY_MS) {
      this.#lastYield = now
      await yieldToEventLoop()
    }
    for (const sink of this.#sinks) {
      const pending = sink.flushBatch()
      if (pending !== undefined) await pending
    }
    const signal = this.#init.signal
    for (const w of this.#init.writers) {
      if (w.blocked) await w.whenWritable(signal)
    }
  }

  async #runInputs (): Promise<void> {
    const gate = this.#init.gate!
    const signal = this.#init.signal
    const head = this.#head
    const writers = this.#init.writers
    const channels = gate.inputs.length
    const second = gate.inputs.map(i => i.inputIndex === 1)
    const valve = new WatermarkValve(channels,
      wm => { head.processWatermark(wm) },
      idle => { for (const w of writers) w.emitStatus(idle) })
    let ended = 0
    while (ended < channels) {
      signal.throwIfAborted()
      const element = gate.poll()
      if (element === undefined) {
        // nothing waiting: send partial batches now rather than hold them back
        this.#flushWriters()
        await gate.whenAvailable(signal)
        continue
      }
      const channel = gate.lastChannel
      switch (element.type) {
        case 'records': {
          const { values, timestamps } = element
          const n = values.length
          this.recordsIn += n
          if (second[channel]!) {
            for (let i = 0; i < n; i++) head.processElement2(values[i], timestamps[i]!)
          } else {
            for (let i = 0; i < n; i++) head.processElement(values[i], timestamps[i]!)
          }
          await this.#afterBatch()
          break
        }
        case 'watermark':
          valve.onWatermark(channel, element.timestamp)
          // what the watermark fired (windows, timers) goes to chained sinks now
          await this.#afterBatch()
          break
        case 'status':
          valve.onStatus(channel, element.idle)
          await this.#afterBatch()
          break
        case 'end':
          ended++
          valve.onEnd(channel)
          break
      }
    }
  }

  async #runSource (): Promise<void> {
    const { reader, splits, idleTimeoutMs } = this.#init.source!
    const signal = this.#init.signal
    const head = this.#head as SourceOperator
    const writers = this.#init.writers
    const max = this.#init.batchSize
    reader.addSplits(splits)
    let idle = false
    let onAbort: () => void = () => {}
    const aborted = new Promise<null>(resolve => {
      onAbort = () => { resolve(null) }
      if (signal.aborted) resolve(null)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      await this.#readSource(reader, aborted, idleTimeoutMs, () => idle, v => { idle = v })
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    if (idle) for (const w of writers) w.emitStatus(false)
    head.processWatermark(MAX_WATERMARK)
  }

  async #readSource (reader: SourceReader<unknown, SourceSplit>, aborted: Promise<null>, idleTimeoutMs: number | undefined,
    isIdle: () => boolean, setIdle: (idle: boolean) => void): Promise<void> {
    const signal = this.#init.signal
    const head = this.#head as SourceOperator
    const writers = this.#init.writers
    const max = this.#init.batchSize
    for (;;) {
      signal.throwIfAborted()
      let batch: unknown[] | null | Promise<unknown[] | null>
      try {
        batch = reader.pollNext(max)
        if (batch instanceof Promise) {
          this.#flushWriters()
          batch = await this.#waitForData(batch, aborted, idleTimeoutMs, () => {
            setIdle(true)
            for (const w of writers) w.emitStatus(true)
          })
        }
      } catch (err) {
        throw head.fail(err)
      }
      signal.throwIfAborted()
      if (batch === null) break
      if (batch.length === 0) {
        // a reader may have sent side outputs (dead letters) without records: honour credit
        await this.#afterBatch()
        continue
      }
      if (isIdle()) {
        setIdle(false)
        for (const w of writers) w.emitStatus(false)
      }
      this.recordsIn += batch.length
      head.emitBatch(batch)
      await this.#afterBatch()
    }
  }

  async #waitForData<T> (pending: Promise<T>, aborted: Promise<null>, idleTimeoutMs: number | undefined, onIdle: () => void): Promise<T | null> {
    if (idleTimeoutMs === undefined) return await Promise.race([pending, aborted])
    const timer = setTimeout(onIdle, idleTimeoutMs)
    try {
      return await Promise.race([pending, aborted])
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * One parallel subtask of a job vertex: a chain of operators fused together, fed either by
 * a source reader or by an input gate, writing to record writers. The loop is the only
 * place that awaits: it takes a batch, pushes every record through the chain
 * synchronously, lets sinks write, and waits for credit when a downstream channel is full.
 *
 * Checkpoints (exactly-once barrier alignment, as Flink's aligned checkpoints): a source
 * task takes a trigger between two batches, snapshots its reader's splits and its chain,
 * and sends the barrier downstream. An operator task aligns the barrier on its inputs
 * (barrier-aligner.ts), then snapshots its chain and forwards the barrier.
 * After the input ended and `finish` ran, a task with checkpointing takes a final snapshot
 * (FINAL_CHECKPOINT_ID) and waits until the job's final checkpoint completes, so that
 * two-phase-commit sinks commit their last output only once every task is done.
 */
import type { SourceReader, SourceSplit } from '../api/source.ts'
import type { InputGate } from './input-gate.ts'
import type { RecordWriter } from './record-writer.ts'
import type { SourceOperator } from './operators/source-operator.ts'
import type { ProcessingTimeService } from './processing-time-service.ts'
import { StreamOperator } from './stream-operator.ts'
import { MAX_WATERMARK } from './stream-element.ts'
import { FINAL_CHECKPOINT_ID, type CheckpointTrigger, type OperatorSnapshot, type RestoredOperatorState } from './checkpoint.ts'
import { WatermarkValve } from './watermark-valve.ts'
import { BarrierAligner } from './barrier-aligner.ts'
import { SplitWatermarks } from './split-watermarks.ts'
import { UnreportedSplitError } from './errors.ts'
import { abortable } from './abortable.ts'

/** A busy task yields to the event loop at least this often (timers, I/O, other tasks). */
const YIELD_EVERY_MS = 10

/** The clock of per-split idleness (monotonic). */
function clock (): number { return performance.now() }

function yieldToEventLoop (): Promise<void> {
  return new Promise(resolve => { setImmediate(resolve) })
}

/** How a task hands over its snapshots (given when the job takes checkpoints). */
export interface TaskCheckpointHooks {
  /**
   * The task took its snapshot of `checkpointId` (FINAL_CHECKPOINT_ID after its input
   * ended): operator id -> snapshot. Called from the task loop: upload asynchronously.
   */
  onSnapshot(checkpointId: number, snapshot: Map<string, OperatorSnapshot>): void
  /** Resolves when the job's final checkpoint has completed (or rejects when the job stops). */
  readonly finalCompleted: Promise<void>
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
  readonly checkpoints?: TaskCheckpointHooks
  /** State the operators restore (operator id -> state), when the job restores. */
  readonly restore?: ReadonlyMap<string, RestoredOperatorState>
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
  /** Source tasks: checkpoints triggered and not started yet. */
  readonly #triggers: CheckpointTrigger[] = []
  #wakeSource: (() => void) | undefined
  /** The highest checkpoint id this task snapshotted, triggered or aborted. */
  #lastCheckpointId = 0
  #inputEnded = false
  /** A stop-with-savepoint barrier went out: the source reads nothing more. */
  #stopped = false
  /** The source reader was closed: it gets no more checkpoint notifications. */
  #readerClosed = false
  /** Per-split watermarks, for a reader that reports the split of each batch. */
  #splitWatermarks: SplitWatermarks | undefined
  /** A pending read waits to be woken when a split may turn idle. */
  #idleTimer: ReturnType<typeof setTimeout> | undefined

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

  /** The reader added split `splitId` itself (its context's `splitAdded`); used by per-split watermarks only. */
  splitAdded (splitId: string): void { this.#splitWatermarks?.splitAdded(splitId) }

  /** The reader finished split `splitId` (its context's `splitFinished`); used by per-split watermarks only. */
  splitFinished (splitId: string): void { this.#splitWatermarks?.splitFinished(splitId) }

  /** True once the task's input ended (a source read everything): it takes no more barriers. */
  get inputEnded (): boolean { return this.#inputEnded }

  /** The highest checkpoint id this task has seen. */
  get lastCheckpointId (): number { return this.#lastCheckpointId }

  /**
   * Asks a source task to take checkpoint `trigger.checkpointId` before its next batch.
   * Returns false when it cannot: it is not a source, its input ended (see `inputEnded`), or the id is not
   * newer than one it has seen (a JobManager that took over must then pick a higher id).
   */
  triggerCheckpoint (trigger: CheckpointTrigger): boolean {
    if (this.#init.source === undefined || this.#inputEnded || this.#stopped || this.#init.checkpoints === undefined) return false
    if (trigger.checkpointId <= this.#lastCheckpointId) return false
    this.#lastCheckpointId = trigger.checkpointId
    this.#triggers.push(trigger)
    const wake = this.#wakeSource
    this.#wakeSource = undefined
    wake?.()
    return true
  }

  /**
   * A checkpoint completed: operators commit what they pre-committed for it, and a source
   * reader may acknowledge what it read up to it (SourceReader.notifyCheckpointComplete).
   */
  async notifyCheckpointComplete (checkpointId: number): Promise<void> {
    for (const op of this.#init.operators) await op.notifyCheckpointComplete(checkpointId)
    const reader = this.#init.source?.reader
    if (reader?.notifyCheckpointComplete !== undefined && !this.#readerClosed) await reader.notifyCheckpointComplete(checkpointId)
  }

  /**
   * Lets each operator prepare (its output precedes the barrier), snapshots every operator of the chain, then calls `afterSync` — which sends the barrier
   * downstream — before it waits for the sinks' pre-commits: output that a processing-time
   * timer produces during that wait comes after the snapshot, so it must follow the barrier.
   */
  async #snapshotChain (checkpointId: number, extra: [string, OperatorSnapshot] | undefined, afterSync: () => void): Promise<Map<string, OperatorSnapshot>> {
    const snapshot = new Map<string, OperatorSnapshot>()
    if (extra !== undefined) snapshot.set(extra[0], extra[1])
    for (const op of this.#init.operators) { // head first: its output reaches the next one before that one prepares
      const prepared = op.prepareSnapshotPreBarrier(checkpointId)
      if (prepared !== undefined) await prepared.catch((err: unknown) => { throw op.fail(err) })
    }
    const taken: { op: StreamOperator, s: OperatorSnapshot | undefined | Promise<OperatorSnapshot | undefined> }[] = []
    for (const op of this.#init.operators) {
      try {
        const s = op.snapshotState(checkpointId)
        // a pre-commit that fails after the barrier went out fails the task (below)
        if (s instanceof Promise) s.catch(() => {})
        taken.push({ op, s })
      } catch (err) {
        throw op.fail(err)
      }
    }
    afterSync()
    for (const { op, s: pending } of taken) {
      let s: OperatorSnapshot | undefined
      try {
        s = pending instanceof Promise ? await pending : pending
      } catch (err) {
        throw op.fail(err)
      }
      if (s !== undefined) {
        const previous = snapshot.get(op.context.operatorId)
        snapshot.set(op.context.operatorId, previous === undefined ? s : { ...previous, ...s })
      }
    }
    return snapshot
  }

  /** Sends a barrier on every output channel. */
  #emitBarrier (checkpointId: number): void {
    for (const w of this.#init.writers) w.emitBarrier(checkpointId)
  }

  /** Bytes this task's operators spilled past their memory budget. */
  get spilledBytes (): number { return this.#init.operators.reduce((n, op) => n + op.spilledBytes, 0) }

  /** Records this task's writers sent to other tasks. */
  get recordsOut (): number { return this.#init.writers.reduce((n, w) => n + w.recordsOut, 0) }

  async run (): Promise<void> {
    const { operators, signal } = this.#init
    let opened = 0
    try {
      const restore = this.#init.restore
      if (restore !== undefined) {
        for (const op of operators) {
          const state = restore.get(op.context.operatorId)
          if (state === undefined) continue
          this.#lastCheckpointId = Math.max(this.#lastCheckpointId, state.checkpointId)
          try {
            await op.restoreState(state)
          } catch (err) {
            throw op.fail(err)
          }
        }
      }
      for (let i = operators.length - 1; i >= 0; i--) {
        await operators[i]!.open()
        opened++
      }
      if (this.#init.source !== undefined) await this.#runSource()
      else await this.#runInputs()
      signal.throwIfAborted()
      this.#inputEnded = true
      // head first, each operator ends after the one before it finished: what an operator
      // emits in `endInput` or `finish` (a batch operator's result, a dataset writer's
      // segments) reaches the next one before that one's input ends
      for (const op of operators) {
        const ended = op.endInput()
        if (ended !== undefined) await ended
        await op.finish()
      }
      for (const w of this.#init.writers) w.emitEnd()
      const hooks = this.#init.checkpoints
      if (hooks !== undefined) {
        const extra: [string, OperatorSnapshot] | undefined = this.#init.source === undefined ? undefined : [this.#head.context.operatorId, { list: [] }]
        hooks.onSnapshot(FINAL_CHECKPOINT_ID, await this.#snapshotChain(FINAL_CHECKPOINT_ID, extra, () => {}))
        await abortable(hooks.finalCompleted, signal)
        await this.notifyCheckpointComplete(FINAL_CHECKPOINT_ID)
      }
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
    if (this.#readerClosed) return
    this.#readerClosed = true
    await this.#init.source?.reader.close()
  }

  /** Releases what the task holds when it will never run (its job failed to deploy). */
  async dispose (): Promise<void> {
    this.#init.processingTime.stop()
    await this.#closeReader()
  }

  /**
   * Resolves when the task may emit more: chained sinks wrote what they hold and every
   * channel has credit (see OperatorContext.outputReady).
   */
  async outputReady (): Promise<void> {
    await this.#afterBatch()
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
    // a two-input operator hears when one of its inputs ended (all that input's channels)
    const open = [second.filter(s => !s).length, second.filter(s => s).length]
    // …and may have the input it needs first read first, while the other waits (see preferredInput)
    const first = head.preferredInput
    const holding = first !== undefined && this.#init.checkpoints === undefined && open[0]! > 0 && open[1]! > 0 &&
      (head.preferredInputAlways || gate.inputs.every(i => i.inputIndex !== first || i.reader.materialized === true))
    if (holding) gate.inputs.forEach((i, c) => { if (i.inputIndex !== first) gate.block(c) })
    const aligner = new BarrierAligner(gate, async id => { await this.#snapshotAligned(id) }, this.#lastCheckpointId)
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
            head.processBatch(values, timestamps, n)
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
          if (--open[second[channel]! ? 1 : 0]! === 0 && open[0]! + open[1]! > 0) {
            head.inputEnded(second[channel]! ? 1 : 0)
            if (holding) gate.releaseAll()
          }
          valve.onEnd(channel)
          await aligner.onEnd(channels - ended)
          break
        case 'barrier':
          await aligner.onBarrier(channel, element.checkpointId, channels - ended)
          break
      }
    }
  }

  /** The barrier came on every open input: snapshot the chain and forward the barrier. */
  async #snapshotAligned (checkpointId: number): Promise<void> {
    const snapshot = await this.#snapshotChain(checkpointId, undefined, () => { this.#emitBarrier(checkpointId) })
    this.#init.checkpoints?.onSnapshot(checkpointId, snapshot)
  }

  async #runSource (): Promise<void> {
    const { reader, splits, idleTimeoutMs } = this.#init.source!
    const signal = this.#init.signal
    const head = this.#head as SourceOperator
    const writers = this.#init.writers
    const max = this.#init.batchSize
    if (reader.lastSplitId !== undefined && head.generatesWatermarks) {
      this.#splitWatermarks = new SplitWatermarks({
        outOfOrdernessMs: head.outOfOrdernessMs,
        idleTimeoutMs,
        emitWatermark: wm => { head.processWatermark(wm) },
        emitStatus: idle => { for (const w of writers) w.emitStatus(idle) }
      })
    }
    reader.addSplits(splits)
    this.#splitWatermarks?.add(splits.map(s => s.id), performance.now())
    let idle = false
    await this.#readSource(reader, idleTimeoutMs, () => idle, v => { idle = v })
    signal.throwIfAborted()
    if (idle || this.#splitWatermarks?.idle === true) for (const w of writers) w.emitStatus(false)
    head.processWatermark(MAX_WATERMARK)
  }

  /** Emits a batch of one split with per-split watermarks. */
  #emitSplitBatch (reader: SourceReader<unknown, SourceSplit>, wms: SplitWatermarks, batch: unknown[]): void {
    const head = this.#head as SourceOperator
    const id = reader.lastSplitId!()
    if (id === undefined) throw head.fail(new UnreportedSplitError(batch.length))
    wms.recordsFrom(id, performance.now())
    wms.advance(id, head.emitSplitBatch(batch))
  }

  /**
   * Takes the triggered checkpoints: the reader's splits and the chain's state are what
   * every record emitted so far produced; the barrier follows those records downstream.
   * A stop-with-savepoint ends reading here (after the final watermark when draining).
   */
  async #checkpointSource (reader: SourceReader<unknown, SourceSplit>, readDelivered: () => boolean = () => false): Promise<void> {
    const head = this.#head as SourceOperator
    // a trigger that queued while a snapshot ran waits for a read delivered meanwhile
    while (this.#triggers.length > 0 && !readDelivered()) {
      const trigger = this.#triggers.shift()!
      if (trigger.kind === 'stop-drain') head.processWatermark(MAX_WATERMARK)
      let splits: SourceSplit[]
      try {
        splits = reader.snapshotSplits(trigger.checkpointId)
      } catch (err) {
        throw head.fail(err)
      }
      const snapshot = await this.#snapshotChain(trigger.checkpointId, [head.context.operatorId, { list: splits.map(s => ({ ...s })) }], () => {
        this.#emitBarrier(trigger.checkpointId)
        this.#flushWriters()
      })
      this.#init.checkpoints!.onSnapshot(trigger.checkpointId, snapshot)
      if (trigger.kind === 'stop' || trigger.kind === 'stop-drain') {
        this.#stopped = true
        this.#triggers.length = 0
        return
      }
    }
  }

  /**
   * Waits for a pending read: its batch, `null` when the job is cancelled, or 'trigger'
   * when a checkpoint is triggered first (the read stays pending and is waited for again).
   * Each wait has its own abort listener, removed when it ends, so a source that waits for
   * every batch does not pile up reactions on a promise that lives as long as the job.
   */
  #waitForBatch (pending: Promise<unknown[] | null>, wakeable: boolean, delivered = false): Promise<unknown[] | null | 'trigger'> {
    const signal = this.#init.signal
    return new Promise((resolve, reject) => {
      if (signal.aborted) { resolve(null); return }
      let settled = false
      const done = (): boolean => {
        if (settled) return false
        settled = true
        signal.removeEventListener('abort', onAbort)
        this.#wakeSource = undefined
        return true
      }
      const onAbort = (): void => { if (done()) resolve(null) }
      signal.addEventListener('abort', onAbort, { once: true })
      // a delivered read is taken at once (next microtask), ahead of any trigger
      if (!delivered && (this.#init.checkpoints !== undefined || wakeable)) {
        if (this.#triggers.length > 0) { done(); resolve('trigger'); return }
        this.#wakeSource = () => { if (done()) resolve('trigger') }
      }
      pending.then(batch => { if (done()) resolve(batch) }, err => { if (done()) reject(err) })
    })
  }

  /** Wakes the pending read when the next split may turn idle (its batch is waited for again). */
  #armSplitIdleTimer (wms: SplitWatermarks): void {
    clearTimeout(this.#idleTimer)
    const at = wms.nextIdleCheck
    if (at === Number.POSITIVE_INFINITY) return
    this.#idleTimer = setTimeout(() => {
      const wake = this.#wakeSource
      this.#wakeSource = undefined
      wake?.()
    }, Math.max(0, at - performance.now()))
  }

  /** Resolves when the job is cancelled (a stopped source waits here for the end). */
  #whenAborted (): Promise<void> {
    const signal = this.#init.signal
    return new Promise(resolve => {
      if (signal.aborted) { resolve(); return }
      signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
  }

  async #readSource (reader: SourceReader<unknown, SourceSplit>, idleTimeoutMs: number | undefined,
    isIdle: () => boolean, setIdle: (idle: boolean) => void): Promise<void> {
    const signal = this.#init.signal
    const head = this.#head as SourceOperator
    const writers = this.#init.writers
    const max = this.#init.batchSize
    /** A read still waiting for data when a checkpoint was triggered: awaited again after it. */
    let waiting: Promise<unknown[] | null> | undefined
    /**
     * The waiting read has delivered (or failed). A reader may move its positions as it
     * delivers, so its batch goes out before any further snapshot: a snapshot taken first
     * would count records that reach no barrier's side of it (lost on a restore).
     */
    let delivered = false
    let idleTimer: ReturnType<typeof setTimeout> | undefined
    const wms = this.#splitWatermarks
    try {
      for (;;) {
        signal.throwIfAborted()
        if (wms !== undefined && wms.tick(clock)) await this.#afterBatch()
        if (this.#triggers.length > 0 && !delivered) {
          await this.#checkpointSource(reader, () => delivered)
          if (this.#stopped) {
            // stop with a savepoint: the JobManager ends the job once the savepoint completes
            this.#flushWriters()
            await this.#whenAborted()
            signal.throwIfAborted()
            return
          }
        }
        let batch: unknown[] | null
        try {
          if (waiting === undefined) {
            const polled = reader.pollNext(max)
            if (polled instanceof Promise) {
              this.#flushWriters()
              waiting = polled
              delivered = false
              // settled later, or never awaited when the job stops: no unhandled rejection
              polled.then(() => { if (waiting === polled) delivered = true }, () => { if (waiting === polled) delivered = true })
              if (idleTimeoutMs !== undefined && wms === undefined) {
                idleTimer = setTimeout(() => {
                  setIdle(true)
                  for (const w of writers) w.emitStatus(true)
                }, idleTimeoutMs)
              }
              continue
            }
            batch = polled
          } else {
            if (wms !== undefined) this.#armSplitIdleTimer(wms)
            const next = await this.#waitForBatch(waiting, wms !== undefined && !delivered, delivered)
            clearTimeout(this.#idleTimer)
            if (next === 'trigger') continue
            waiting = undefined
            delivered = false
            clearTimeout(idleTimer)
            batch = next
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
        this.recordsIn += batch.length
        if (wms !== undefined) {
          this.#emitSplitBatch(reader, wms, batch)
          // splits the reader finished in the read that returned their last records
          wms.tick(clock)
        } else {
          if (isIdle()) {
            setIdle(false)
            for (const w of writers) w.emitStatus(false)
          }
          head.emitBatch(batch)
        }
        await this.#afterBatch()
      }
    } finally {
      clearTimeout(idleTimer)
      clearTimeout(this.#idleTimer)
      this.#wakeSource = undefined
    }
  }
}

/**
 * Drives one operator directly, without tasks or channels: a fake operator context with a
 * manual processing-time clock, and an output that records what the operator emitted.
 * For unit tests of operators (window, keyed process); not a test file itself.
 */
import type { Key } from 'meshflow'
import type { ProcessingTimeService } from '../../../node/runtime/processing-time-service.ts'
import type { Output, StreamOperator } from '../../../node/runtime/stream-operator.ts'
import { normalizeKey } from '../../../node/graph/key-groups.ts'

interface PendingTimer { readonly time: number, readonly callback: (time: number) => void, cancelled: boolean }

/** A processing-time service whose clock only moves when the test says so. */
export class ManualClock {
  now = 0
  readonly #timers: PendingTimer[] = []

  schedule (time: number, callback: (time: number) => void): () => void {
    const t: PendingTimer = { time, callback, cancelled: false }
    this.#timers.push(t)
    return () => { t.cancelled = true }
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pending (): number[] {
    return this.#timers.filter(t => !t.cancelled).map(t => t.time).sort((a, b) => a - b)
  }

  /** Moves the clock to `time`, running every due timer in time order. */
  advanceTo (time: number): void {
    for (;;) {
      const due = this.#timers.filter(t => !t.cancelled && t.time <= time).sort((a, b) => a.time - b.time)[0]
      if (due === undefined) break
      due.cancelled = true
      if (this.now < due.time) this.now = due.time
      due.callback(due.time)
    }
    this.now = time
  }

  stop (): void {
    for (const t of this.#timers) t.cancelled = true
  }
}

export interface Emitted { readonly value: unknown, readonly timestamp: number }

export interface Harness<O extends StreamOperator> {
  readonly op: O
  readonly clock: ManualClock
  /** Main output, in emission order. */
  readonly out: Emitted[]
  /** Side outputs by tag id. */
  readonly side: Map<string, Emitted[]>
  /** Watermarks forwarded downstream. */
  readonly watermarks: number[]
  /** Values of the main output, and clears it. */
  take(): unknown[]
}

export async function harness<O extends StreamOperator> (op: O, keys: ((value: any) => unknown)[] = [], name = 'op-under-test', uid?: string, options: { checkpointing?: boolean, memoryBudget?: number } = {}): Promise<Harness<O>> {
  const clock = new ManualClock()
  const out: Emitted[] = []
  const side = new Map<string, Emitted[]>()
  const watermarks: number[] = []
  const output: Output = {
    collect: (value, timestamp) => { out.push({ value, timestamp }) },
    collectSide: (tag, value, timestamp) => {
      let list = side.get(tag)
      if (list === undefined) side.set(tag, list = [])
      list.push({ value, timestamp })
    },
    emitWatermark: w => { watermarks.push(w) }
  }
  op.setup({
    jobName: 'test',
    jobId: 'test-job',
    operatorId: name,
    operatorName: name,
    operatorUid: uid,
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    signal: new AbortController().signal,
    processingTime: { now: () => clock.now, schedule: clock.schedule.bind(clock), stop: () => { clock.stop() } } as unknown as ProcessingTimeService,
    checkpointing: options.checkpointing ?? false,
    ...(options.memoryBudget === undefined ? {} : { memoryBudget: options.memoryBudget }),
    keySelectors: keys.length === 0 ? undefined : keys.map(k => (v: unknown): Key => normalizeKey(k(v)))
  }, output)
  await op.open()
  return {
    op,
    clock,
    out,
    side,
    watermarks,
    take: () => out.splice(0).map(e => e.value)
  }
}

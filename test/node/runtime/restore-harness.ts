/**
 * Drives the parallel subtasks of one keyed operator as the runtime would, for tests of
 * checkpoint snapshot and restore: elements routed by key group, watermarks to every
 * subtask, one manual processing-time clock, snapshots stored by CID in a block store, and
 * a restore at any parallelism from a job snapshot (each new subtask gets, in subtask
 * order, the chunks of every old subtask whose key groups overlap its own).
 * Not a test file itself.
 */
import type { Key } from 'meshflow'
import type { RestoredOperatorState, StateChunk } from '../../../node/runtime/checkpoint.ts'
import type { ProcessingTimeService } from '../../../node/runtime/processing-time-service.ts'
import type { Output, StreamOperator } from '../../../node/runtime/stream-operator.ts'
import { keyGroupOf, keyGroupRange, normalizeKey, subtaskForKeyGroup } from '../../../node/graph/key-groups.ts'
import { ManualClock, type Emitted } from './harness.ts'

export const MAX_PARALLELISM = 128

/** The chunk chains of every subtask of one operator at one checkpoint. */
export type JobSnapshot = ReadonlyArray<readonly StateChunk[]>

/** Blocks by CID, as the runtime stores new chunks; counts the bytes written. */
export class BlockStore {
  readonly blocks = new Map<string, Uint8Array>()
  written = 0

  put (chunks: readonly StateChunk[]): number {
    let bytes = 0
    for (const c of chunks) {
      if (c.bytes === undefined) continue
      bytes += c.bytes.byteLength
      this.blocks.set(c.cid, c.bytes.slice())
    }
    this.written += bytes
    return bytes
  }

  get (cid: string): Uint8Array {
    const b = this.blocks.get(cid)
    if (b === undefined) throw new Error(`block ${cid} was never stored`)
    return b
  }
}

/** The state a subtask of `parallelism` restores from `snapshot` (taken at `oldParallelism`). */
export function restoredStateFor (store: BlockStore, snapshot: JobSnapshot, checkpointId: number, subtask: number, parallelism: number, maxParallelism = MAX_PARALLELISM): RestoredOperatorState {
  const mine = keyGroupRange(subtask, parallelism, maxParallelism)
  const keyed: Uint8Array[] = []
  snapshot.forEach((chunks, old) => {
    const theirs = keyGroupRange(old, snapshot.length, maxParallelism)
    if (theirs.end < mine.start || theirs.start > mine.end) return
    for (const c of chunks) keyed.push(store.get(c.cid))
  })
  return { checkpointId, keyed, list: [], keyGroups: mine }
}

export type Step<T> =
  | { readonly el: T, readonly ts: number }
  | { readonly el2: T, readonly ts: number }
  | { readonly wm: number }
  | { readonly clock: number }

export interface KeyedJobInit {
  readonly store: BlockStore
  readonly clock?: ManualClock
  readonly checkpointing?: boolean
  /** Restore from this snapshot. */
  readonly from?: { readonly snapshot: JobSnapshot, readonly checkpointId: number }
}

/** The parallel subtasks of one keyed operator. */
export class KeyedJob<O extends StreamOperator> {
  readonly ops: O[]
  readonly clock: ManualClock
  readonly out: Emitted[] = []
  readonly side = new Map<string, Emitted[]>()
  readonly #key: (x: any) => unknown
  readonly #key2: (x: any) => unknown

  private constructor (ops: O[], clock: ManualClock, key: (x: any) => unknown, key2: (x: any) => unknown) {
    this.ops = ops
    this.clock = clock
    this.#key = key
    this.#key2 = key2
  }

  static async start<O extends StreamOperator> (make: () => O, keys: ReadonlyArray<(x: any) => unknown>, parallelism: number, init: KeyedJobInit): Promise<KeyedJob<O>> {
    const clock = init.clock ?? new ManualClock()
    const ops: O[] = []
    const job = new KeyedJob(ops, clock, keys[0]!, keys[1] ?? keys[0]!)
    const output: Output = {
      collect: (value, timestamp) => { job.out.push({ value, timestamp }) },
      collectSide: (tag, value, timestamp) => {
        let list = job.side.get(tag)
        if (list === undefined) job.side.set(tag, list = [])
        list.push({ value, timestamp })
      },
      emitWatermark: () => {}
    }
    for (let i = 0; i < parallelism; i++) {
      const op = make()
      op.setup({
        jobName: 'test',
        jobId: 'test-job',
        operatorId: 'op',
        operatorName: 'op',
        operatorUid: undefined,
        subtaskIndex: i,
        parallelism,
        maxParallelism: MAX_PARALLELISM,
        signal: new AbortController().signal,
        processingTime: { now: () => clock.now, schedule: clock.schedule.bind(clock), stop: () => {} } as unknown as ProcessingTimeService,
        checkpointing: init.checkpointing ?? true,
        keySelectors: keys.map(k => (v: unknown): Key => normalizeKey(k(v)))
      }, output)
      if (init.from !== undefined) await op.restoreState(restoredStateFor(init.store, init.from.snapshot, init.from.checkpointId, i, parallelism))
      await op.open()
      ops.push(op)
    }
    return job
  }

  #route (key: unknown): O {
    const g = keyGroupOf(normalizeKey(key), MAX_PARALLELISM)
    return this.ops[subtaskForKeyGroup(g, this.ops.length, MAX_PARALLELISM)]!
  }

  step (s: Step<unknown>): void {
    if ('el' in s) this.#route(this.#key(s.el)).processElement(s.el, s.ts)
    else if ('el2' in s) this.#route(this.#key2(s.el2)).processElement2(s.el2, s.ts)
    else if ('wm' in s) for (const op of this.ops) op.processWatermark(s.wm)
    else this.clock.advanceTo(s.clock)
  }

  run (steps: ReadonlyArray<Step<unknown>>): void {
    for (const s of steps) this.step(s)
  }

  /** Snapshots every subtask and stores the new chunks. */
  snapshot (checkpointId: number, store: BlockStore): JobSnapshot {
    return this.ops.map(op => {
      const s = op.snapshotState(checkpointId)
      if (s instanceof Promise) throw new Error('a keyed operator returned a promise from snapshotState')
      const chunks = s?.keyed ?? []
      store.put(chunks)
      return chunks
    })
  }

  complete (checkpointId: number): void {
    for (const op of this.ops) void op.notifyCheckpointComplete(checkpointId) // synchronous for keyed operators
  }

  endInput (): void {
    for (const op of this.ops) op.endInput()
  }

  async close (): Promise<void> {
    for (const op of this.ops) await op.close()
    this.clock.stop()
  }

  /** Everything emitted, main and side outputs, as sorted lines (emission order across keys is not compared). */
  lines (): string[] {
    const out = this.out.map(e => `${show(e.value)} @${e.timestamp}`)
    for (const [tag, list] of this.side) for (const e of list) out.push(`[${tag}] ${show(e.value)} @${e.timestamp}`)
    return out.sort()
  }
}

function show (v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => x instanceof Map ? [...x] : typeof x === 'bigint' ? `${x}n` : x)
}

export interface RestoreScenario {
  /** Where the job is snapshotted (index into the steps) and then restored. */
  readonly cut: number
  /** An earlier checkpoint (completed) before the cut, so the restored chain has a delta. */
  readonly earlier?: number
  readonly from: number
  readonly to: number
}

/**
 * Runs `steps` uninterrupted at parallelism `from`, and again with a snapshot at `cut`
 * restored into fresh operators at parallelism `to` that process the rest; returns both
 * outputs (sorted lines). They must be equal.
 */
export async function restoreAndCompare<O extends StreamOperator> (make: () => O, keys: ReadonlyArray<(x: any) => unknown>, steps: ReadonlyArray<Step<unknown>>, scenario: RestoreScenario): Promise<{ expected: string[], actual: string[] }> {
  const store = new BlockStore()
  const whole = await KeyedJob.start(make, keys, scenario.from, { store })
  whole.run(steps)
  whole.endInput()
  await whole.close()

  const before = await KeyedJob.start(make, keys, scenario.from, { store })
  let at = 0
  if (scenario.earlier !== undefined && scenario.earlier < scenario.cut) {
    before.run(steps.slice(0, scenario.earlier))
    before.snapshot(1, store)
    before.complete(1)
    at = scenario.earlier
  }
  before.run(steps.slice(at, scenario.cut))
  const snapshot = before.snapshot(2, store)
  await before.close()
  const clock = new ManualClock()
  clock.now = before.clock.now
  const after = await KeyedJob.start(make, keys, scenario.to, { store, clock, from: { snapshot, checkpointId: 2 } })
  after.run(steps.slice(scenario.cut))
  after.endInput()
  await after.close()
  const actual = [...before.lines(), ...after.lines()].sort()
  return { expected: whole.lines(), actual }
}

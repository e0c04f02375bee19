/**
 * Benchmark: incremental keyed-state snapshots of one KeyedProcessOperator subtask
 * (`node test/bench/keyed-snapshot.ts`).
 *
 * 1,000,000 keys in a ValueState<number>: the time and bytes of a first (full) snapshot,
 * of a second one after 1% of the keys changed (target: under 5% of the first's bytes),
 * of a third with nothing changed, and the time to restore the chain into a fresh operator.
 * One JSON line per result.
 *
 *   MESHFLOW_BENCH_KEYS=1000000
 */
import { ValueStateDescriptor, type Key, type KeyedProcessFunction, type ValueState } from '../../node/index.ts'
import type { StateChunk } from '../../node/runtime/checkpoint.ts'
import type { ProcessingTimeService } from '../../node/runtime/processing-time-service.ts'
import { keyGroupRange, normalizeKey } from '../../node/graph/key-groups.ts'
import { KeyedProcessOperator } from '../../node/runtime/operators/keyed-process-operator.ts'

const KEYS = Number(process.env.MESHFLOW_BENCH_KEYS ?? 1_000_000)

interface Ev { k: string, v: number }

function fn (): KeyedProcessFunction<Ev, never> {
  let value: ValueState<number>
  return {
    open (ctx) { value = ctx.getState(new ValueStateDescriptor<number>('value')) },
    processElement (x) { value.update(x.v) }
  }
}

async function operator (): Promise<KeyedProcessOperator> {
  const op = new KeyedProcessOperator(fn())
  op.setup({
    jobName: 'bench',
    jobId: 'bench',
    operatorId: 'op',
    operatorName: 'op',
    operatorUid: undefined,
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    signal: new AbortController().signal,
    processingTime: { now: () => 0, schedule: () => () => {}, stop: () => {} } as unknown as ProcessingTimeService,
    checkpointing: true,
    keySelectors: [(x: Ev): Key => normalizeKey(x.k)]
  }, { collect: () => {}, collectSide: () => {}, emitWatermark: () => {} })
  return op
}

function written (chunks: readonly StateChunk[]): { chunks: number, newChunks: number, bytes: number } {
  let bytes = 0
  let newChunks = 0
  for (const c of chunks) {
    if (c.bytes === undefined) continue
    bytes += c.bytes.byteLength
    newChunks++
  }
  return { chunks: chunks.length, newChunks, bytes }
}

function print (result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: 'keyed-snapshot', keys: KEYS, ...result }) + '\n')
}

const blocks = new Map<string, Uint8Array>()
const op = await operator()
await op.open()
let t = performance.now()
for (let i = 0; i < KEYS; i++) op.processElement({ k: `key-${i}`, v: i }, 0)
const fillMs = performance.now() - t

t = performance.now()
const first = op.snapshotState(1).keyed!
const firstMs = performance.now() - t
for (const c of first) blocks.set(c.cid, c.bytes!)
op.notifyCheckpointComplete(1)
const full = written(first)
print({ name: 'full', ms: Math.round(firstMs), ...full, fillMs: Math.round(fillMs) })

const step = 100 // 1% of the keys
for (let i = 0; i < KEYS; i += step) op.processElement({ k: `key-${i}`, v: -i }, 0)
t = performance.now()
const second = op.snapshotState(2).keyed!
const secondMs = performance.now() - t
for (const c of second) if (c.bytes !== undefined) blocks.set(c.cid, c.bytes)
op.notifyCheckpointComplete(2)
const delta = written(second)
print({ name: 'delta-1pct', ms: Math.round(secondMs * 10) / 10, ...delta, ratioOfFull: Math.round(delta.bytes / full.bytes * 10_000) / 10_000, target: 0.05 })

t = performance.now()
const third = op.snapshotState(3).keyed!
print({ name: 'unchanged', ms: Math.round((performance.now() - t) * 100) / 100, ...written(third) })

t = performance.now()
const restored = await operator()
await restored.restoreState({ checkpointId: 3, keyed: third.map(c => blocks.get(c.cid)!), list: [], keyGroups: keyGroupRange(0, 1, 128) })
await restored.open()
print({ name: 'restore', ms: Math.round(performance.now() - t), chunks: third.length })

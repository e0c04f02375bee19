/**
 * The batch path of a chain: a source batch goes down the chained operators in one call per
 * operator (`processBatch`, `collectBatch`), record writers cut it into the job's batch size,
 * timestamps stay with their records, and operators without a batch loop still get every
 * record in order.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { createOutput } from '../../../node/runtime/chain-output.ts'
import { LocalChannel } from '../../../node/runtime/local-channel.ts'
import { RecordWriter } from '../../../node/runtime/record-writer.ts'
import { NO_TIMESTAMP, type RecordBatch, type StreamElement } from '../../../node/runtime/stream-element.ts'
import type { OperatorContext, StreamOperator } from '../../../node/runtime/stream-operator.ts'
import { FilterOperator } from '../../../node/runtime/operators/filter-operator.ts'
import { FlatMapOperator } from '../../../node/runtime/operators/flat-map-operator.ts'
import { MapOperator } from '../../../node/runtime/operators/map-operator.ts'
import { SinkOperator } from '../../../node/runtime/operators/sink-operator.ts'
import { SourceOperator } from '../../../node/runtime/operators/source-operator.ts'
import { OperatorError } from '../../../node/runtime/errors.ts'

const test = suite('chain batches')

function context (name: string): OperatorContext {
  return { operatorName: name, operatorId: name, operatorUid: undefined, subtaskIndex: 0, parallelism: 1 } as unknown as OperatorContext
}

/** Sets up `ops` as one chain (each feeding the next), the last one writing to `writer` when given. */
function chain (ops: StreamOperator[], writer?: RecordWriter): void {
  ops.forEach((op, i) => {
    const next = ops[i + 1]
    op.setup(context(`op${i}`), createOutput({
      chained: next === undefined ? [] : [next],
      writers: next === undefined && writer !== undefined ? [writer] : [],
      side: new Map()
    }))
  })
}

function drain (ch: LocalChannel): StreamElement[] {
  const out: StreamElement[] = []
  for (let e = ch.poll(); e !== undefined; e = ch.poll()) out.push(e)
  return out
}

test('a source batch goes through filter and map to a writer in the job batch size, timestamps beside their records', () => {
  const ch = new LocalChannel({ capacity: 100 })
  const writer = new RecordWriter([ch], { kind: 'forward' }, 3)
  const source = new SourceOperator(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner(v => v * 10))
  chain([source, new FilterOperator((v: number) => v % 2 === 0), new MapOperator((v: number) => `v${v}`)], writer)
  const batch = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]
  source.emitBatch(batch)
  writer.flush()
  assert.equal(batch, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14], 'the source batch is left as it was')
  const elements = drain(ch)
  const records = elements.filter((e): e is RecordBatch => e.type === 'records')
  assert.equal(records.map(r => r.values), [['v2', 'v4', 'v6'], ['v8', 'v10', 'v12'], ['v14']])
  assert.equal(records.map(r => r.timestamps), [[20, 40, 60], [80, 100, 120], [140]])
  // the watermark of the batch follows its records
  const last = elements.findLastIndex(e => e.type === 'records')
  assert.equal(elements.slice(last + 1), [{ type: 'watermark', timestamp: 139 }])
  assert.is(writer.recordsOut, 7)
  // the next, shorter batch reuses the operators' arrays: nothing of the first one leaks into it
  source.emitBatch([20, 21, 23, 22])
  writer.flush()
  const next = drain(ch).filter((e): e is RecordBatch => e.type === 'records')
  assert.equal(next.map(r => [r.values, r.timestamps]), [[['v20', 'v22'], [200, 220]]])
})

test('a batch without event timestamps reaches the writer marked NO_TIMESTAMP', () => {
  const ch = new LocalChannel({ capacity: 100 })
  const writer = new RecordWriter([ch], { kind: 'forward' }, 10)
  const source = new SourceOperator(undefined)
  chain([source, new MapOperator((v: number) => v + 1)], writer)
  source.emitBatch([1, 2])
  source.emitBatch([3])
  writer.flush()
  assert.equal(drain(ch), [{ type: 'records', values: [2, 3, 4], timestamps: [NO_TIMESTAMP, NO_TIMESTAMP, NO_TIMESTAMP] }])
})

test('a writer fills a partly filled batch from the next input batch before it sends it', () => {
  const ch = new LocalChannel({ capacity: 100 })
  const writer = new RecordWriter([ch], { kind: 'forward' }, 4)
  writer.emit('a', 1)
  writer.emitBatch(['b', 'c', 'd', 'e', 'f'], [2, 3, 4, 5, 6], 5)
  writer.emitBatch(['g', 'h', 'ignored'], [7, 8, 9], 2)
  writer.flush()
  const records = drain(ch) as RecordBatch[]
  assert.equal(records.map(r => r.values), [['a', 'b', 'c', 'd'], ['e', 'f', 'g', 'h']])
  assert.equal(records.map(r => r.timestamps), [[1, 2, 3, 4], [5, 6, 7, 8]])
  assert.is(writer.recordsOut, 8)
})

test('a writer with several channels sends each record of a batch where emit would send it', () => {
  const hash = { kind: 'hash', key: (v: number) => v % 5, maxParallelism: 128 } as const
  const batched = new RecordWriter([new LocalChannel({ capacity: 100 }), new LocalChannel({ capacity: 100 })], hash, 1024)
  const single = new RecordWriter([new LocalChannel({ capacity: 100 }), new LocalChannel({ capacity: 100 })], hash, 1024)
  const values = Array.from({ length: 30 }, (_, i) => i)
  batched.emitBatch(values, values.map(v => v + 100), 30)
  for (const v of values) single.emit(v, v + 100)
  batched.flush()
  single.flush()
  const contents = (w: RecordWriter): unknown[] => w.channels.map(ch => drain(ch as LocalChannel))
  const got = contents(batched)
  assert.equal(got, contents(single))
  assert.ok((got[0] as unknown[]).length > 0 && (got[1] as unknown[]).length > 0, 'both channels got records')
  assert.is(batched.recordsOut, 30)
})

test('an operator without a batch loop after a filter gets the kept records one by one, in order', () => {
  const seen: [unknown, number][] = []
  const source = new SourceOperator(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner(v => v))
  const flat = new FlatMapOperator((v: number, out) => { seen.push([v, 0]); out.collect(v) })
  const sinkWrites: unknown[][] = []
  const sink = new SinkOperator({ createWriter: () => ({ write (b) { sinkWrites.push(b) }, finish () {}, close () {} }) })
  chain([source, new FilterOperator((v: number) => v !== 3), flat, sink])
  return sink.open()!.then(async () => {
    source.emitBatch([1, 2, 3, 4])
    await sink.flushBatch()
    source.emitBatch([5, 6])
    await sink.flushBatch()
    assert.equal(seen.map(s => s[0]), [1, 2, 4, 5, 6])
    assert.equal(sinkWrites, [[1, 2, 4], [5, 6]])
  })
})

test('a sink keeps its own copy of a lent batch', async () => {
  const writes: unknown[][] = []
  const sink = new SinkOperator({ createWriter: () => ({ write (b) { writes.push(b) }, finish () {}, close () {} }) })
  sink.setup(context('sink'), createOutput({ chained: [], writers: [], side: new Map() }))
  await sink.open()
  const lent = ['a', 'b', 'c']
  sink.processBatch(lent, [0, 0, 0], 2)
  lent[0] = 'changed'
  sink.processBatch(['d'], [0], 1)
  await sink.flushBatch()
  assert.equal(writes, [['a', 'b', 'd']])
})

test('a map that throws in the middle of a batch fails naming the operator', () => {
  const map = new MapOperator((v: number) => { if (v === 2) throw new Error('no twos'); return v })
  chain([map, new FilterOperator(() => true)])
  try {
    map.processBatch([1, 2, 3], [0, 0, 0], 3)
    assert.unreachable('the map threw')
  } catch (err) {
    assert.instance(err, OperatorError)
    assert.match((err as Error).message, /Operator 'op0' failed: no twos/)
  }
})

test('a job of filter and map gives the same records at batch sizes 1, 7 and 1024', async () => {
  const run = async (batchSize: number): Promise<unknown[]> => {
    const env = StreamEnvironment.create({ batchSize })
    return await env.fromCollection(Array.from({ length: 100 }, (_, i) => i))
      .filter(v => v % 3 !== 0)
      .map(v => v * 2)
      .filter(v => v % 4 === 0)
      .executeAndCollect()
  }
  const expected = Array.from({ length: 100 }, (_, i) => i).filter(v => v % 3 !== 0).map(v => v * 2).filter(v => v % 4 === 0)
  for (const size of [1, 7, 1024]) assert.equal(await run(size), expected, `batch size ${size}`)
})

test.run()

/**
 * Blocking exchanges (batch execution) on the runtime alone: the stored partition and
 * result-index formats, and a join + groupBy run region by region — each region its own
 * `runTasks` call whose cross-stage channels go through blocks — giving what the
 * pipelined run gives.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { StreamEnvironment, sum } from 'meshflow'
import { pipelinedRegions } from '../../../node/graph/pipelined-regions.ts'
import { edgeIndexes, runTasks } from '../../../node/runtime/local-executor.ts'
import { BlockingChannelProvider } from '../../../node/runtime/blocking-channel-provider.ts'
import { BlockChannelReader, BlockChannelWriter, type ResultBlocks } from '../../../node/runtime/blocking-channel.ts'
import { decodeResultIndex, encodeResultIndex, partitionKey, resultIndexReferences, unframePartitionBlock } from '../../../node/runtime/blocking-results.ts'
import { END_OF_INPUT, MAX_WATERMARK } from '../../../node/runtime/stream-element.ts'

const Blocking = suite('BlockingChannel')

/** A block store in memory: content-addressed by sha-256, like the real one. */
function memoryBlocks (): ResultBlocks & { readonly map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>()
  return {
    map,
    store: async bytes => {
      const cid = createHash('sha256').update(bytes).digest('hex')
      map.set(cid, bytes.slice())
      return cid
    },
    fetch: async cid => {
      await new Promise(resolve => setImmediate(resolve))
      const b = map.get(cid)
      if (b === undefined) throw new Error(`No block ${cid}`)
      return b
    }
  }
}

Blocking('BlockChannelWriter packs records into blocks under the limit and the reader gives them back in order, ending with the final watermark and end', async () => {
  const blocks = memoryBlocks()
  const failures: unknown[] = []
  const w = new BlockChannelWriter({ blocks, fail: e => { failures.push(e) }, name: 'a[0] → b[0]', blockBytes: 200 })
  const sent: number[] = []
  for (let i = 0; i < 50; i++) {
    const values = [i * 3, i * 3 + 1, i * 3 + 2]
    sent.push(...values)
    w.send({ type: 'records', values, timestamps: values.map(() => Number.NEGATIVE_INFINITY) })
  }
  w.send({ type: 'watermark', timestamp: 5 })
  w.send({ type: 'status', idle: true })
  w.send({ type: 'watermark', timestamp: MAX_WATERMARK })
  w.send(END_OF_INPUT)
  const cids = await w.done
  assert.ok(cids.length >= 3, `several blocks, got ${cids.length}`)
  for (const c of cids) assert.ok(blocks.map.get(c)!.byteLength <= 200)
  assert.is(w.records, 150)
  const r = new BlockChannelReader({ blocks, cids, fail: e => { failures.push(e) }, signal: new AbortController().signal, name: 'x' })
  const got: number[] = []
  const kinds: string[] = []
  for (;;) {
    const e = r.poll()
    if (e === undefined) {
      await new Promise<void>(resolve => { r.onAvailable(resolve) })
      continue
    }
    kinds.push(e.type)
    if (e.type === 'records') got.push(...(e.values as number[]))
    if (e.type === 'end') break
  }
  assert.equal(got, sent)
  assert.equal(kinds.slice(-2), ['watermark', 'end'])
  assert.equal(failures, [])
})

Blocking('an empty partition has no blocks and reads as end of input at once', async () => {
  const blocks = memoryBlocks()
  const w = new BlockChannelWriter({ blocks, fail: () => {}, name: 'x' })
  w.send(END_OF_INPUT)
  assert.equal(await w.done, [])
  const r = new BlockChannelReader({ blocks, cids: [], fail: () => {}, signal: new AbortController().signal, name: 'x' })
  assert.equal(r.poll(), END_OF_INPUT)
  assert.is(r.poll(), undefined)
})

Blocking('decodeResultIndex reads what encodeResultIndex wrote and refuses damaged bytes', () => {
  const index = { partitions: [{ edge: 1, producer: 2, consumer: 3, blocks: ['a', 'b'] }, { edge: 0, producer: 0, consumer: 0, blocks: [] }], recordsIn: 7, recordsOut: 9 }
  const bytes = encodeResultIndex(index)
  assert.equal(decodeResultIndex(bytes), index)
  assert.equal(resultIndexReferences(bytes), ['a', 'b'])
  assert.throws(() => decodeResultIndex(bytes.subarray(0, 10)))
  assert.throws(() => decodeResultIndex(new Uint8Array([1, 2, 3])), /tag/)
  assert.throws(() => unframePartitionBlock(Uint8Array.of(10, 1, 2)), /runs past/)
})

Blocking('a join and a groupBy run region by region through blocks give what the pipelined run gives (p=4)', async () => {
  const orders = Array.from({ length: 500 }, (_, i) => ({ id: i, customer: i % 37, amount: (i * 7) % 101 }))
  const customers = Array.from({ length: 37 }, (_, i) => ({ customer: i, region: `r${i % 5}` }))
  const build = (env: StreamEnvironment): { values: { region: string, total: number }[] } => {
    const o = env.fromCollection(orders).toDataSet().map(x => x)
    const c = env.fromCollection(customers).toDataSet().map(x => x)
    return o.join(c, { strategy: 'repartition-hash-first' }).where('customer').equalTo('customer').with((a, b) => ({ region: b.region, amount: a.amount }))
      .groupBy('region').aggregate({ total: sum('amount') }).collect() as unknown as { values: { region: string, total: number }[] }
  }
  const pipelinedEnv = StreamEnvironment.create({ parallelism: 4 })
  const expected = build(pipelinedEnv)
  await pipelinedEnv.execute('pipelined')

  const env = StreamEnvironment.create({ parallelism: 4 })
  const out = build(env)
  const graph = env.getJobGraph()
  const plan = pipelinedRegions(graph)
  assert.ok(plan.regions.length > 4, `regions: ${plan.regions.length}`)
  const blocks = memoryBlocks()
  const edgeIndex = edgeIndexes(graph)
  const results = new Map<string, readonly string[]>()
  const done = new Set<number>()
  for (const region of plan.regions) {
    for (const i of region.inputs) assert.ok(done.has(i), `region ${region.index} runs after its input ${i}`)
    const members = new Set(region.subtasks.map(t => `${t.vertex}#${t.subtask}`))
    const inRegion = (v: { id: string }, s: number): boolean => members.has(`${v.id}#${s}`)
    const channels = new BlockingChannelProvider({ blocks, inRegion, inputs: results, blockBytes: 256 })
    await runTasks(graph, { jobId: 'j', jobName: 'batch', channels, runsHere: inRegion })
    for (const p of await channels.results()) results.set(partitionKey(p.edge, p.producer, p.consumer), p.blocks)
    done.add(region.index)
  }
  assert.ok(edgeIndex.size > 0)
  const canon = (xs: { region: string, total: number }[]): string[] => xs.map(x => JSON.stringify(x)).sort()
  assert.equal(canon(out.values), canon(expected.values))
  assert.is(out.values.length, 5)
})

Blocking.run()

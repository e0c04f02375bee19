/**
 * SplitWatermarks (per-split watermarks of a source subtask, as Flink's FLIP-27 sources
 * have), step by step with an injected clock, and through jobs whose source reports the
 * split of each batch (SourceReader.lastSplitId): a split far behind in event time is not
 * late, idleness is per split, a finished split no longer holds the watermark back.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  OutputTag, StreamEnvironment, TumblingEventTimeWindows, WatermarkStrategy,
  type ProcessFunction, type Source, type SourceReader, type SourceReaderContext
} from 'meshflow'
import { SplitWatermarks } from '../../../node/runtime/split-watermarks.ts'
import { waitFor } from '../support.ts'

const SplitWatermarksSuite = suite('SplitWatermarks')

function tracker (outOfOrdernessMs: number, idleTimeoutMs?: number): { wms: SplitWatermarks, log: Array<number | 'idle' | 'active'> } {
  const log: Array<number | 'idle' | 'active'> = []
  const wms = new SplitWatermarks({
    outOfOrdernessMs,
    idleTimeoutMs,
    emitWatermark: wm => { log.push(wm) },
    emitStatus: idle => { log.push(idle ? 'idle' : 'active') }
  })
  return { wms, log }
}

SplitWatermarksSuite('emits the minimum over the splits, and nothing until every split has records', () => {
  const { wms, log } = tracker(10)
  wms.add(['a', 'b'], 0)
  wms.recordsFrom('a', 1)
  wms.advance('a', 3_600_000)
  assert.equal(log, [], 'b has no records yet: it holds the watermark back')
  wms.recordsFrom('b', 2)
  wms.advance('b', 100)
  assert.equal(log, [89], 'min(a: 3599989, b: 89)')
  wms.advance('b', 50)
  assert.equal(log, [89], 'a split\'s watermark never goes back')
  wms.advance('b', 200)
  assert.equal(log, [89, 189])
  assert.is(wms.watermark, 189)
})

SplitWatermarksSuite('a split idle for the timeout is left out; all idle makes the output idle; records make it active', () => {
  const { wms, log } = tracker(0, 100)
  wms.add(['a', 'b'], 0)
  wms.recordsFrom('a', 10)
  wms.advance('a', 500)
  assert.equal(log, [])
  assert.is(wms.nextIdleCheck, 100)
  assert.not.ok(wms.checkIdle(99))
  assert.ok(wms.checkIdle(100), 'b had nothing since it was added at 0')
  assert.equal(log, [499], 'b left out: the watermark is a\'s')
  assert.is(wms.nextIdleCheck, 110)
  assert.ok(wms.checkIdle(110))
  assert.equal(log, [499, 'idle'])
  assert.ok(wms.idle)
  // b comes back far behind: the output is active before its records go out
  wms.recordsFrom('b', 120)
  assert.equal(log, [499, 'idle', 'active'])
  wms.advance('b', 40)
  assert.equal(log, [499, 'idle', 'active'], 'the watermark does not go back to b\'s')
  wms.advance('b', 600)
  assert.equal(log, [499, 'idle', 'active', 599])
})

SplitWatermarksSuite('splits found idle in one late check leave in the order their timeouts ran out', () => {
  const { wms, log } = tracker(0, 100)
  wms.add(['b', 'a'], 0)
  wms.recordsFrom('a', 0)
  wms.advance('a', 101)
  wms.recordsFrom('b', 10)
  wms.advance('b', 501)
  assert.equal(log, [100])
  assert.ok(wms.checkIdle(1_000))
  assert.equal(log, [100, 500, 'idle'], 'a went quiet first: b alone set the watermark before it went idle too')
})

SplitWatermarksSuite('a finished split no longer holds the watermark back', () => {
  const { wms, log } = tracker(0)
  wms.add(['a', 'b'], 0)
  wms.recordsFrom('b', 0)
  wms.advance('b', 5)
  wms.recordsFrom('a', 0)
  wms.advance('a', 150)
  assert.equal(log, [4])
  wms.finish('b')
  assert.equal(log, [4, 149])
  wms.finish('a')
  assert.equal(log, [4, 149, 'idle'], 'no split left: the subtask is idle')
})

SplitWatermarksSuite('a subtask without splits is idle; a split added later holds the watermark until its records', () => {
  const { wms, log } = tracker(0, 100)
  wms.add([], 0)
  assert.equal(log, ['idle'])
  wms.add(['p9'], 1_000)
  assert.equal(log, ['idle', 'active'], 'the new split holds the watermark back from now on')
  assert.is(wms.nextIdleCheck, 1_100)
  wms.recordsFrom('p9', 1_050)
  wms.advance('p9', 70)
  assert.equal(log, ['idle', 'active', 69])
  wms.add(['p9'], 1_060)
  assert.equal(wms.splitIds, ['p9'], 'a split tracked already is left as it is')
})

SplitWatermarksSuite('tick applies the splits a reader added before those it finished (a closed shard and its children)', () => {
  const { wms, log } = tracker(0)
  wms.add(['parent', 'other'], 0)
  wms.recordsFrom('parent', 0)
  wms.advance('parent', 100)
  wms.recordsFrom('other', 0)
  wms.advance('other', 500)
  assert.equal(log, [99])
  wms.splitFinished('parent')
  wms.splitAdded('child-1')
  assert.equal(wms.splitIds, ['parent', 'other'], 'nothing changes before the tick')
  assert.ok(wms.tick(() => 10))
  assert.equal(wms.splitIds, ['other', 'child-1'])
  assert.equal(log, [99], 'the child holds the watermark where the parent left it')
  assert.not.ok(wms.tick(() => 11), 'nothing to apply, no idleness')
})

SplitWatermarksSuite('records of a split never added are tracked from their first batch', () => {
  const { wms, log } = tracker(0)
  wms.add(['a'], 0)
  wms.recordsFrom('a', 0)
  wms.advance('a', 10)
  wms.recordsFrom('child', 0)
  wms.advance('child', 3)
  assert.equal(log, [9])
  assert.equal(wms.splitIds, ['a', 'child'])
})

SplitWatermarksSuite.run()

// ---- through jobs ----

const JobsSuite = suite('per-split watermarks in a job')

interface E { split: string, ts: number }

/** A source of named splits fed by the test: `push` records, `finish` a split, `end` the input. */
class FedSource implements Source<E, { id: string }> {
  readonly bounded = false
  readonly ids: string[]
  readonly queues = new Map<string, E[]>()
  readonly #finishing = new Set<string>()
  #ended = false
  #wake: (() => void) | undefined
  /** Polls that resolved empty while waiting (as a Kafka fetch that found nothing). */
  emptyPolls = 0

  constructor (ids: string[]) {
    this.ids = ids
    for (const id of ids) this.queues.set(id, [])
  }

  push (split: string, ...ts: number[]): void {
    this.queues.get(split)!.push(...ts.map(t => ({ split, ts: t })))
    this.#poke()
  }

  finish (split: string): void { this.#finishing.add(split); this.#poke() }
  end (): void { this.#ended = true; this.#poke() }

  #poke (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  createSplits (): Array<{ id: string }> { return this.ids.map(id => ({ id })) }

  createReader (context: SourceReaderContext): SourceReader<E, { id: string }> {
    const source = this
    let last: string | undefined
    const finished = new Set<string>()
    return {
      addSplits () {},
      lastSplitId: () => last,
      pollNext (max) {
        for (const [id, q] of source.queues) {
          if (q.length > 0) {
            last = id
            return q.splice(0, max)
          }
          if (source.#finishing.has(id) && !finished.has(id)) {
            finished.add(id)
            context.splitFinished?.(id)
          }
        }
        if (source.#ended) return null
        // wait for records, but resolve empty every 10 ms as a fetch that found nothing does
        return new Promise<E[]>(resolve => {
          const t = setTimeout(() => { source.emptyPolls++; resolve([]) }, 10)
          source.#wake = () => { clearTimeout(t); resolve([]) }
          context.signal.addEventListener('abort', () => { clearTimeout(t); resolve([]) }, { once: true })
        })
      },
      snapshotSplits: () => source.ids.map(id => ({ id })),
      close () {}
    }
  }
}

/** Source -> observer (watermark seen per record) -> 100 ms tumbling windows per split, late data to a side output. */
function windowJob (source: FedSource, strategy: WatermarkStrategy<E>): {
  env: StreamEnvironment, seen: Array<[string, number, number]>, out: { values: unknown[] }, late: { values: unknown[] }
} {
  const env = StreamEnvironment.create({ batchSize: 4 })
  const seen: Array<[string, number, number]> = []
  const observer: ProcessFunction<E, E> = {
    processElement (x, ctx, out) {
      seen.push([x.split, x.ts, ctx.timerService.currentWatermark()])
      out.collect(x)
    }
  }
  const lateTag = new OutputTag<E>('late')
  const windowed = env.fromSource(source, strategy, 'fed')
    .process(observer)
    .keyBy(x => x.split)
    .window(TumblingEventTimeWindows.of(100))
    .sideOutputLateData(lateTag)
    .aggregate({ createAccumulator: () => 0, add: (_x: E, n: number) => n + 1, getResult: (n: number) => n }, (k, w, n) => [k, w.start, n])
  return { env, seen, out: windowed.collect(), late: windowed.sideOutput(lateTag).collect() }
}

const HOUR = 3_600_000
const byTs = WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner(x => x.ts)

JobsSuite('a split an hour behind in event time holds the watermark back: none of its records is late', async () => {
  const source = new FedSource(['ahead', 'behind'])
  const { env, seen, out, late } = windowJob(source, byTs)
  const job = env.execute('split-behind')
  try {
    source.push('ahead', HOUR + 10, HOUR + 20, HOUR + 150)
    await waitFor('the records an hour ahead to pass', () => seen.length === 3)
    source.push('behind', 10, 20, 30, 150, 160)
    await waitFor('the records behind to pass', () => seen.length === 8)
    source.push('ahead', HOUR + 250)
    await waitFor('the last record to pass', () => seen.length === 9)
    // 'behind' is at 160 now: [0, 100) of it fires, nothing of the hour ahead does
    await waitFor('[0, 100) of the split behind to fire', () => out.values.length > 0)
    source.end()
    await job
  } finally {
    source.end()
  }
  assert.equal(late.values, [])
  for (const [s, ts, wm] of seen) if (s === 'behind') assert.ok(wm < ts, `behind@${ts} met the watermark ${wm}`)
  assert.ok(seen.slice(0, 4).every(([, , wm]) => wm === Number.NEGATIVE_INFINITY), 'no watermark before the split behind had records')
  assert.ok(seen.at(-1)![2] <= 159, `the watermark followed the split behind: ${seen.at(-1)![2]}`)
  assert.equal(out.values.slice(0, 1), [['behind', 0, 3]])
  assert.equal(new Set(out.values.map(v => JSON.stringify(v))), new Set([
    ['behind', 0, 3], ['behind', 100, 2], ['ahead', HOUR, 2], ['ahead', HOUR + 100, 1], ['ahead', HOUR + 200, 1]
  ].map(v => JSON.stringify(v))))
})

JobsSuite('withIdleness per split: a split without records stops holding the windows back while reads keep resolving empty', async () => {
  const source = new FedSource(['busy', 'quiet'])
  const { env, seen, out, late } = windowJob(source, byTs.withIdleness(100))
  const job = env.execute('split-idle')
  // 'busy' gets a record every 20 ms (ts 10, 20, 30, ...); 'quiet' one record at 5, then
  // nothing: only its idleness lets [0, 100) of 'busy' fire
  let ts = 0
  const ticker = setInterval(() => { source.push('busy', ts += 10) }, 20)
  try {
    source.push('quiet', 5)
    await waitFor('[0, 100) of the busy split to fire', () => out.values.some(v => JSON.stringify(v) === JSON.stringify(['busy', 0, 9])))
    assert.ok(source.emptyPolls > 0, 'reads kept resolving empty between records (a subtask-wide idle timer never ran out)')
    // the quiet split comes back ahead of the watermark: active again, nothing late
    const next = ts + 500
    source.push('quiet', next)
    await waitFor('the quiet split\'s new record to pass', () => seen.some(([s, t]) => s === 'quiet' && t === next))
  } finally {
    clearInterval(ticker)
    source.end()
  }
  await job
  assert.equal(late.values, [])
  assert.ok(out.values.some(v => JSON.stringify(v) === JSON.stringify(['quiet', 0, 1])))
})

JobsSuite('a finished split no longer holds the watermark back', async () => {
  const source = new FedSource(['short', 'long'])
  const { env, seen, out } = windowJob(source, byTs)
  const job = env.execute('split-finished')
  try {
    source.push('short', 5)
    source.finish('short')
    source.push('long', 10, 20, 150)
    // no idleness: while 'short' (at 4) were tracked, [0, 100) of 'long' could not fire
    await waitFor('[0, 100) of the long split to fire', () => out.values.some(v => JSON.stringify(v) === JSON.stringify(['long', 0, 2])))
    source.end()
    await job
  } finally {
    source.end()
  }
  assert.is(seen.length, 4)
})

JobsSuite.run()

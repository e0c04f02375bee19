/**
 * KeyedProcessOperator checkpoints: value, list and map state (with and without TTL),
 * reducing and aggregating state, event-time and processing-time timers, restored into
 * fresh operators at the same or another parallelism, give the output of an uninterrupted
 * run. Also: restored processing-time timers are scheduled again, a TTL changed between
 * runs converts the restored entries, and an empty restore works.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor,
  type AggregatingState, type KeyedCoProcessFunction, type KeyedProcessFunction, type ListState, type MapState,
  type ReducingState, type ValueState
} from 'meshflow'
import { KeyedProcessOperator } from '../../../node/runtime/operators/keyed-process-operator.ts'
import { ManualClock } from './harness.ts'
import { BlockStore, KeyedJob, restoreAndCompare, type Step } from './restore-harness.ts'

const KeyedProcessRestore = suite('KeyedProcessOperator (restore)')

interface E { k: string, ts: number, v: number }

/**
 * Uses every kind of state and both timer domains; each output line shows the state it saw.
 * A fresh function per operator instance (it holds its state handles).
 */
function richFunction (ttl = true): KeyedProcessFunction<E, string> {
  let count: ValueState<number>
  let last: ValueState<number>
  let seen: ListState<number>
  let byRest: MapState<number, number>
  let plainList: ListState<string>
  let plainMap: MapState<string, number[]>
  let sum: ReducingState<number>
  let avg: AggregatingState<number, number>
  const show = (): string => `n=${count.value()} last=${last.value()} seen=${seen.get().join(',')} map=${[...byRest.entries()].join(';')} ` +
    `pl=${plainList.get().join(',')} pm=${JSON.stringify([...plainMap.entries()])} sum=${sum.get()} avg=${avg.get()}`
  return {
    open (ctx) {
      count = ctx.getState(new ValueStateDescriptor<number>('count', 0))
      const lastD = new ValueStateDescriptor<number>('last')
      const seenD = new ListStateDescriptor<number>('seen')
      const byRestD = new MapStateDescriptor<number, number>('byRest')
      if (ttl) {
        lastD.enableTimeToLive({ ttlMs: 40 })
        seenD.enableTimeToLive({ ttlMs: 60 })
        byRestD.enableTimeToLive({ ttlMs: 50, updateType: 'OnReadAndWrite' })
      }
      last = ctx.getState(lastD)
      seen = ctx.getListState(seenD)
      byRest = ctx.getMapState(byRestD)
      plainList = ctx.getListState(new ListStateDescriptor<string>('plainList'))
      plainMap = ctx.getMapState(new MapStateDescriptor<string, number[]>('plainMap'))
      sum = ctx.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b))
      avg = ctx.getAggregatingState(new AggregatingStateDescriptor('avg', {
        createAccumulator: () => ({ s: 0, n: 0 }),
        add: (v: number, a: { s: number, n: number }) => ({ s: a.s + v, n: a.n + 1 }),
        getResult: (a: { s: number, n: number }) => Math.round(a.s / a.n)
      }))
    },
    processElement (x, ctx, out) {
      const timers = ctx.timerService
      count.update(count.value()! + 1)
      last.update(x.v)
      seen.add(x.v)
      byRest.put(x.v % 3, (byRest.get(x.v % 3) ?? 0) + 1)
      if (x.v % 4 === 0) plainList.add(`e${x.v}`)
      if (x.v % 6 === 0) plainList.update([])
      const m = plainMap.get(x.k) ?? []
      plainMap.put(x.k, [...m, x.v].slice(-3))
      if (x.v % 5 === 0) plainMap.remove(x.k)
      sum.add(x.v)
      avg.add(x.v)
      if (x.v % 11 === 0) {
        count.clear()
        sum.clear()
      }
      timers.registerEventTimeTimer(x.ts + 10)
      timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 15 + (x.v % 3))
      if (x.v % 7 === 0) timers.deleteEventTimeTimer(x.ts + 10)
      out.collect(`${x.k} el ${x.v} wm=${timers.currentWatermark()} ${show()}`)
    },
    onTimer (t, ctx, out) {
      out.collect(`${String(ctx.currentKey)} ${ctx.timeDomain}@${t} wm=${ctx.timerService.currentWatermark()} ${show()}`)
      if (t % 2 === 0 && ctx.timeDomain === 'event-time') ctx.timerService.registerEventTimeTimer(t + 3)
    }
  }
}

const byKey = [(x: E) => x.k]

function steps (): Step<E>[] {
  const out: Step<E>[] = []
  let v = 0
  for (let t = 0; t < 200; t += 4) {
    out.push({ clock: t })
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) {
      if ((t / 4 + k.charCodeAt(0)) % 3 === 0) continue
      const ts = t - (v % 5)
      out.push({ el: { k, ts, v: v++ }, ts })
    }
    if (t % 12 === 0) out.push({ wm: t - 6 })
  }
  out.push({ clock: 400 }, { wm: Number.POSITIVE_INFINITY })
  return out
}

const scenarios = [
  { name: 'at the same parallelism', from: 1, to: 1 },
  { name: 'from 1 to 2 subtasks', from: 1, to: 2 },
  { name: 'from 2 to 1 subtask', from: 2, to: 1 },
  { name: 'from 2 to 3 subtasks', from: 2, to: 3 }
]

for (const s of scenarios) {
  for (const ttl of [true, false]) {
    KeyedProcessRestore(`state and timers restored ${s.name}${ttl ? ' (with TTL)' : ''} give the output of an uninterrupted run`, async () => {
      const all = steps()
      for (const cut of [0, 1, 33, 120, 200, all.length - 1]) {
        const { expected, actual } = await restoreAndCompare(() => new KeyedProcessOperator(richFunction(ttl)), byKey, all, { cut, earlier: Math.floor(cut / 3), from: s.from, to: s.to })
        assert.equal(actual, expected, `cut at ${cut}`)
      }
    })
  }
}

KeyedProcessRestore('a keyed co-process function restores its state', async () => {
  const make = (): KeyedCoProcessFunction<E, E, string> => {
    let total: ValueState<number>
    return {
      open (ctx) { total = ctx.getState(new ValueStateDescriptor<number>('total', 0)) },
      processElement1 (x, _ctx, out) { total.update(total.value()! + x.v); out.collect(`1 ${x.k} ${total.value()}`) },
      processElement2 (x, ctx, out) {
        total.update(total.value()! * 2)
        ctx.timerService.registerEventTimeTimer(x.ts)
        out.collect(`2 ${x.k} ${total.value()}`)
      },
      onTimer (t, ctx, out) { out.collect(`${String(ctx.currentKey)}@${t} ${total.value()}`) }
    }
  }
  const all: Step<E>[] = []
  for (let i = 0; i < 60; i++) {
    const x = { k: `k${i % 4}`, ts: i, v: i }
    all.push(i % 3 === 0 ? { el2: x, ts: i } : { el: x, ts: i })
    if (i % 10 === 9) all.push({ wm: i - 5 })
  }
  all.push({ wm: Number.POSITIVE_INFINITY })
  for (const s of scenarios) {
    const { expected, actual } = await restoreAndCompare(() => new KeyedProcessOperator(make()), [(x: E) => x.k, (x: E) => x.k], all, { cut: 31, earlier: 12, from: s.from, to: s.to })
    assert.equal(actual, expected, s.name)
  }
})

KeyedProcessRestore('restored processing-time timers are scheduled again with the clock service in open', async () => {
  const store = new BlockStore()
  const fn = (): KeyedProcessFunction<E, string> => ({
    processElement (x, ctx) { ctx.timerService.registerProcessingTimeTimer(x.v) },
    onTimer (t, ctx, out) { out.collect(`${String(ctx.currentKey)}@${t}`) }
  })
  const before = await KeyedJob.start(() => new KeyedProcessOperator(fn()), byKey, 1, { store })
  before.run([{ el: { k: 'a', ts: 0, v: 100 }, ts: 0 }, { el: { k: 'b', ts: 0, v: 50 }, ts: 0 }, { clock: 10 }])
  const snapshot = before.snapshot(1, store)
  await before.close()
  const clock = new ManualClock()
  clock.now = 10
  const after = await KeyedJob.start(() => new KeyedProcessOperator(fn()), byKey, 2, { store, clock, from: { snapshot, checkpointId: 1 } })
  assert.is(clock.pending[0], 50, 'the earliest restored timer is scheduled')
  clock.advanceTo(99)
  assert.equal(after.out.map(e => e.value), ['b@50'])
  clock.advanceTo(200)
  assert.equal(after.out.map(e => e.value), ['b@50', 'a@100'])
})

KeyedProcessRestore('a TTL changed between runs converts the restored entries', async () => {
  const store = new BlockStore()
  const fn = (ttlMs: number | undefined): KeyedProcessFunction<E, string> => {
    let v: ValueState<number>
    let l: ListState<number>
    let m: MapState<string, number>
    return {
      open (ctx) {
        const vd = new ValueStateDescriptor<number>('v')
        const ld = new ListStateDescriptor<number>('l')
        const md = new MapStateDescriptor<string, number>('m')
        if (ttlMs !== undefined) for (const d of [vd, ld, md]) d.enableTimeToLive({ ttlMs })
        v = ctx.getState(vd)
        l = ctx.getListState(ld)
        m = ctx.getMapState(md)
      },
      processElement (x, _ctx, out) {
        if (x.v > 0) {
          v.update(x.v)
          l.add(x.v)
          m.put('x', x.v)
        }
        out.collect(`${x.k} v=${v.value()} l=${l.get().join(',')} m=${m.get('x')}`)
      }
    }
  }
  const read: Step<E> = { el: { k: 'a', ts: 0, v: 0 }, ts: 0 }
  // TTL -> none: values survive, stamps dropped
  const a = await KeyedJob.start(() => new KeyedProcessOperator(fn(100)), byKey, 1, { store })
  a.run([{ el: { k: 'a', ts: 0, v: 7 }, ts: 0 }])
  const s1 = a.snapshot(1, store)
  const b = await KeyedJob.start(() => new KeyedProcessOperator(fn(undefined)), byKey, 1, { store, from: { snapshot: s1, checkpointId: 1 } })
  b.run([{ clock: 1000 }, read])
  assert.equal(b.out.map(e => e.value), ['a v=7 l=7 m=7'])
  // none -> TTL: stamped at restore, expire a TTL later
  const s2 = b.snapshot(2, store)
  const clock = new ManualClock()
  clock.now = 1000
  const c = await KeyedJob.start(() => new KeyedProcessOperator(fn(50)), byKey, 1, { store, clock, from: { snapshot: s2, checkpointId: 2 } })
  c.run([{ clock: 1049 }, read, { clock: 1050 }, read])
  assert.equal(c.out.map(e => e.value), ['a v=7 l=7 m=7', 'a v=undefined l= m=undefined'])
})

KeyedProcessRestore('an empty snapshot restores, and a restore from no chunks starts empty', async () => {
  const store = new BlockStore()
  const make = (): KeyedProcessOperator => new KeyedProcessOperator(richFunction())
  const a = await KeyedJob.start(make, byKey, 1, { store })
  const empty = a.snapshot(1, store)
  assert.equal(empty, [[]], 'nothing to write before any record')
  const b = await KeyedJob.start(make, byKey, 2, { store, from: { snapshot: empty, checkpointId: 1 } })
  b.run([{ el: { k: 'a', ts: 0, v: 1 }, ts: 0 }])
  assert.is(b.out.length, 1)
  assert.ok(String(b.out[0]!.value).startsWith('a el 1 wm=-Infinity n=1 '))
})
KeyedProcessRestore.run()

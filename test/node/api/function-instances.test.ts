import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  StreamEnvironment, ValueStateDescriptor, type KeyedProcessFunction, type RuntimeContext, type ValueState,
  type KeyedProcessContext, type Collector
} from 'meshflow'

const instances = suite('instancePerSubtask')

const words = ['a', 'b', 'c', 'd', 'e', 'f', 'a', 'b', 'c', 'd', 'e', 'f', 'a']
const expected = ['a=1', 'a=2', 'a=3', 'b=1', 'b=2', 'c=1', 'c=2', 'd=1', 'd=2', 'e=1', 'e=2', 'f=1', 'f=2']

instances('gives each subtask its own copy of a function object that keeps state handles in fields', async () => {
  interface Counter extends KeyedProcessFunction<string, string> { count?: ValueState<number>, opened?: number }
  const fn: Counter = {
    open (ctx) { this.count = ctx.getState(new ValueStateDescriptor<number>('n')) },
    processElement (w, _ctx, out) {
      const n = (this.count!.value() ?? 0) + 1
      this.count!.update(n)
      out.collect(`${w}=${n}`)
    }
  }
  const env = StreamEnvironment.create({ parallelism: 3 })
  const out = env.fromCollection(words).keyBy(w => w).process(fn).collect()
  await env.execute('copies')
  assert.equal(out.values.sort(), expected)
  assert.is(fn.count, undefined, 'the object given to process() itself is never opened')
})

instances('calls a factory once per subtask, so classes with #private fields work', async () => {
  let made = 0
  class Counter implements KeyedProcessFunction<string, string> {
    #count!: ValueState<number>
    constructor () { made++ }
    open (ctx: RuntimeContext): void { this.#count = ctx.getState(new ValueStateDescriptor<number>('n')) }
    processElement (w: string, _ctx: KeyedProcessContext, out: Collector<string>): void {
      const n = (this.#count.value() ?? 0) + 1
      this.#count.update(n)
      out.collect(`${w}=${n}`)
    }
  }
  const env = StreamEnvironment.create({ parallelism: 4 })
  const out = env.fromCollection(words).keyBy(w => w).process(() => new Counter()).collect()
  await env.execute('factory')
  assert.equal(out.values.sort(), expected)
  assert.is(made, 4)
})

instances('rejects a factory that does not return a function object, naming the operator', async () => {
  const env = StreamEnvironment.create()
  env.fromCollection([1]).keyBy(x => x).process((() => 42) as unknown as () => KeyedProcessFunction<number, number>).uid('bad-factory').collect()
  try {
    await env.execute('bad')
    assert.unreachable('should have failed')
  } catch (err) {
    assert.instance(err, Error)
    assert.match((err as Error).message, /bad-factory.*must return an object with a processElement method/)
  }
})

instances.run()

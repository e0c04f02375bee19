/**
 * Two streams connected for joint processing. When both are keyed, `process` takes a
 * KeyedCoProcessFunction with keyed state and timers shared by both inputs.
 *
 * @example
 * readings.keyBy(r => r.sensor).connect(thresholds.keyBy(t => t.sensor)).process({
 *   processElement1 (r, ctx, out) { ... }, processElement2 (t, ctx, out) { ... }
 * })
 */
import type { CoProcessFunction, KeyedCoProcessFunction } from './functions.ts'
import { DataStream } from './data-stream.ts'
import { InvalidArgumentError } from './errors.ts'
import { instancePerSubtask, type FunctionOrFactory } from './function-instances.ts'
import { ProcessOperator } from '../runtime/operators/process-operator.ts'
import { KeyedProcessOperator } from '../runtime/operators/keyed-process-operator.ts'

export class ConnectedStreams<A, B> {
  readonly first: DataStream<A>
  readonly second: DataStream<B>

  constructor (first: DataStream<A>, second: DataStream<B>) {
    this.first = first
    this.second = second
  }

  /** Each subtask gets its own copy of `fn` (or calls it when it is a factory `() => fn`). */
  process<R> (fn: FunctionOrFactory<CoProcessFunction<A, B, R>> | FunctionOrFactory<KeyedCoProcessFunction<A, B, R>>): DataStream<R> {
    if (typeof fn !== 'function' && (typeof fn?.processElement1 !== 'function' || typeof fn.processElement2 !== 'function')) {
      throw new InvalidArgumentError('connect(...).process needs an object with processElement1 and processElement2')
    }
    const make = instancePerSubtask(fn as FunctionOrFactory<KeyedCoProcessFunction<A, B, R>>, 'connect(...).process', 'processElement1')
    const k1 = 'keySelector' in this.first ? this.first.keySelector as (v: A) => unknown : undefined
    const k2 = 'keySelector' in this.second ? this.second.keySelector as (v: B) => unknown : undefined
    const keyed = k1 !== undefined && k2 !== undefined
    if ((k1 === undefined) !== (k2 === undefined)) {
      throw new InvalidArgumentError('connect: key both streams (keyBy on each) or neither')
    }
    const env = this.first.environment
    const t = env.addTransformation({
      kind: 'operator',
      name: 'co-process',
      inputs: [this.first.transformation, this.second.transformation],
      factory: keyed ? () => new KeyedProcessOperator(make()) : () => new ProcessOperator(make() as unknown as CoProcessFunction<A, B, R>),
      ...(keyed ? { keySelectors: [k1, k2] } : {})
    })
    return new DataStream<R>(env, t)
  }
}

/**
 * Builds the RuntimeContext a rich function sees in `open`. Keyed state is only available
 * on keyed streams; asking for it elsewhere is an error that says so.
 */
import type { RuntimeContext } from '../../api/functions.ts'
import type { OperatorContext } from '../stream-operator.ts'
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts'

export function createRuntimeContext (context: OperatorContext, backend: HeapKeyedStateBackend | undefined): RuntimeContext {
  const need = (): HeapKeyedStateBackend => {
    if (backend === undefined) {
      throw new TypeError(`Operator '${context.operatorName}': keyed state is only available on a keyed stream (call keyBy first)`)
    }
    return backend
  }
  return {
    taskName: context.operatorName,
    subtaskIndex: context.subtaskIndex,
    parallelism: context.parallelism,
    maxParallelism: context.maxParallelism,
    getState: d => need().getState(d),
    getListState: d => need().getListState(d),
    getMapState: d => need().getMapState(d),
    getReducingState: d => need().getReducingState(d),
    getAggregatingState: d => need().getAggregatingState(d)
  }
}

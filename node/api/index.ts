/**
 * The API a job author writes against.
 *
 * @example
 * import { defineJob, WatermarkStrategy, TumblingEventTimeWindows, sum, count } from 'meshflow'
 * export default defineJob(env => {
 *   env.fromCollection([{ k: 'a', ts: 1 }], WatermarkStrategy.forMonotonousTimestamps<{ k: string, ts: number }>().withTimestampAssigner(e => e.ts))
 *     .keyBy(e => e.k).window(TumblingEventTimeWindows.of(1000)).reduce((a, b) => a).print()
 *   // bounded data: the DataSet API
 *   env.fromCollection([{ store: 's1', amount: 3 }]).toDataSet()
 *     .groupBy('store').aggregate({ revenue: sum('amount'), n: count() }).print()
 * })
 */
export * from './errors.ts'
export { ConnectorError, type ErrorDomain } from './connector-error.ts'
export * from './functions.ts'
export * from './state.ts'
export * from './windows.ts'
export * from './source.ts'
export * from './sink.ts'
export { OutputTag } from './output-tag.ts'
export { WatermarkStrategy, type TimestampAssigner } from './watermark-strategy.ts'
export { defineJob, isJobDefinition, type JobArgs, type JobDefinition } from './job.ts'
export { DataStream, DataStreamSink, KeyedStream } from './data-stream.ts'
export { WindowedStream } from './windowed-stream.ts'
export { ConnectedStreams } from './connected-streams.ts'
export { DataSet, CrossDataSet, type DataSetProps, type DataSetFlatMapFunction } from './data-set.ts'
export { GroupedDataSet } from './grouped-data-set.ts'
export { JoinBuilder, CoGroupBuilder, DEFAULT_BROADCAST_MAX_ROWS, DEFAULT_CROSS_MAX_ROWS, type JoinOptions, type JoinStrategy, type CrossOptions } from './data-set-join.ts'
export type { KeySpec } from './data-set-keys.ts'
export { MAX_ITERATIONS, type IterationStep, type IterationResult, type IterateOptions } from './data-set-iterate.ts'
export type { WriteDatasetOptions } from './dataset-write.ts'
export type { ReadDatasetOptions } from './stream-environment.ts'
export type { DatasetSchema, ColumnSchema, ColumnType, Partitioning, Predicate, ScanSpec, Scalar } from './dataset-schema.ts'
export {
  sum, count, avg, min, max, countDistinct, type Aggregator, type AggregatorKind, type AggregateSpec,
  type AggregateResult, type ValueOf
} from './aggregators.ts'
export type { SortDirection } from '../runtime/operators/batch/sort-operator.ts'
export type { GroupReduceFunction } from '../runtime/operators/batch/group-reduce-operator.ts'
export type { CoGroupFunction } from '../runtime/operators/batch/co-group-operator.ts'
export type { MapPartitionFunction } from '../runtime/operators/batch/map-partition-operator.ts'
export { CrossLimitExceededError } from '../runtime/operators/batch/errors.ts'
export { datasetSink, datasetSource, type DatasetSinkOptions, type DatasetSourceOptions, type DatasetSplit } from './dataset-sink.ts'
export { CollectedOutput } from './collect-sink.ts'
export type { FunctionOrFactory } from './function-instances.ts'
export {
  StreamEnvironment, type StreamEnvironmentOptions, type ExecuteOptions, type CheckpointingMode, type RuntimeExecutionMode,
  type RestartStrategy, type JobExecutionResult
} from './stream-environment.ts'

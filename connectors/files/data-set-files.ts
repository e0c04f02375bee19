/**
 * Files as DataSets (Flink's `readTextFile`/`readCsvFile` and `writeAsText`/`writeAsCsv`
 * of the DataSet API): `readFiles(env, options)` reads files with `fileSource` as a
 * bounded DataSet, `writeFiles(dataSet, options)` writes one with `fileSink` (part files,
 * visible once committed). They live with the file connector rather than on
 * StreamEnvironment and DataSet because the API does not depend on connectors.
 *
 * @example
 * import { readFiles, writeFiles } from 'meshflow/connectors/files'
 * const sales = readFiles<Sale>(env, { path: 'in/sales.csv', format: 'csv', schema })
 * writeFiles(sales.groupBy('store').aggregate({ revenue: sum('amount') }), { path: 'out/revenue', format: 'parquet' })
 */
import type { DataSet } from '../../node/api/data-set.ts'
import type { StreamEnvironment } from '../../node/api/stream-environment.ts'
import type { DataStreamSink } from '../../node/api/data-stream.ts'
import { WatermarkStrategy } from '../../node/api/watermark-strategy.ts'
import { fileSource, type FileSourceOptions } from './file-source.ts'
import { fileSink, type FileSinkOptions } from './file-sink.ts'

/** Reads the files at `options.path` as a bounded DataSet of records (or lines, for `text`). */
export function readFiles<T> (env: StreamEnvironment, options: FileSourceOptions, name = 'files'): DataSet<T> {
  return env.fromSource(fileSource<T>(options), WatermarkStrategy.noWatermarks<T>(), name).toDataSet()
}

/** Writes the rows of `data` into the directory `options.path` as part files. */
export function writeFiles<T> (data: DataSet<T>, options: FileSinkOptions, name = 'files'): DataStreamSink<T> {
  return data.sinkTo(fileSink<T>(options), name)
}

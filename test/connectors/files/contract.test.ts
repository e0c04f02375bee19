/**
 * The connector contract suite's sink part against the file connector: the Parquet lake
 * (partitioned by a column and by a function) and JSON Lines files, both exactly-once through the file sink's two-phase commit.
 */
import { sinkContract } from '../contract.ts'
import { jsonlSinkHarness, parquetFunctionSinkHarness, parquetSinkHarness } from './parquet-harness.ts'

sinkContract(parquetSinkHarness)
sinkContract(parquetFunctionSinkHarness)
sinkContract(jsonlSinkHarness)

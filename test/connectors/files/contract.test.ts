/**
 * The connector contract suite's sink part against the file connector: the Parquet lake
 * and JSON Lines files, both exactly-once through the file sink's two-phase commit.
 */
import { sinkContract } from '../contract.ts'
import { jsonlSinkHarness, parquetSinkHarness } from './parquet-harness.ts'

sinkContract(parquetSinkHarness)
sinkContract(jsonlSinkHarness)

/** The connector contract suite (test/connectors/contract.ts) against kinesalite. */
import { sinkContract, sourceContract } from '../contract.ts'
import { kinesisSinkHarness, kinesisSourceHarness } from './kinesis-harness.ts'

sourceContract(kinesisSourceHarness)
sinkContract(kinesisSinkHarness)

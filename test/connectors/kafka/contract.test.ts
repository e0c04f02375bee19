/**
 * The connector contract suite (test/connectors/contract.ts) against the real Kafka broker
 * of test/services/kafka.sh: kafkaSource promises exactly-once positions, kafkaSink
 * exactly-once delivery through transactions (checked with a read_committed Java consumer).
 */
import { sinkContract, sourceContract } from '../contract.ts'
import { kafkaSinkHarness, kafkaSourceHarness } from './kafka-harness.ts'

sourceContract(kafkaSourceHarness)
sinkContract(kafkaSinkHarness)

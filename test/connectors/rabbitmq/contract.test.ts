/**
 * The connector contract suite (test/connectors/contract.ts) against RabbitMQ
 * (test/services/rabbitmq.sh): the source at-least-once and with `exactlyOnce`, the sink.
 */
import { sinkContract, sourceContract } from '../contract.ts'
import { rabbitmqExactlyOnceSourceHarness, rabbitmqSinkHarness, rabbitmqSourceHarness } from './rabbitmq-harness.ts'

sourceContract(rabbitmqSourceHarness)
sourceContract(rabbitmqExactlyOnceSourceHarness)
sinkContract(rabbitmqSinkHarness)

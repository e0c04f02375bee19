/**
 * ConnectorError: every connector's errors share one base that says whose fault an error
 * is and whether retrying can help, with the connector's own names kept for matching.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConnectorError } from 'meshflow'
import { FileNotFoundError } from 'meshflow/connectors/files'
import { KafkaTopicNotFoundError, KafkaConnectorError } from 'meshflow/connectors/kafka'
import { InvalidKinesisOptionError } from 'meshflow/connectors/kinesis'
import { RabbitMQConnectionError } from 'meshflow/connectors/rabbitmq'

const test = suite('ConnectorError')

test('each connector\'s errors are ConnectorErrors naming their class, domain and retry hint', () => {
  const cases: [Error, string, string, boolean][] = [
    [new FileNotFoundError('/in/sales.csv'), 'FileNotFoundError', 'user', false],
    [new KafkaTopicNotFoundError('sales'), 'KafkaTopicNotFoundError', 'user', false],
    [new InvalidKinesisOptionError('stream', 'is missing'), 'InvalidKinesisOptionError', 'user', false],
    [new RabbitMQConnectionError('amqp://127.0.0.1:1', 'refused the connection', { cause: new Error('ECONNREFUSED') }), 'RabbitMQConnectionError', 'external', true]
  ]
  for (const [err, name, domain, retriable] of cases) {
    assert.ok(err instanceof ConnectorError, `${name} is a ConnectorError`)
    assert.is(err.name, name)
    assert.is((err as ConnectorError).domain, domain, name)
    assert.is((err as ConnectorError).retriable, retriable, name)
  }
})

test('a connector\'s base error keeps its defaults', () => {
  const err = new KafkaConnectorError()
  assert.is(err.message, 'Kafka connector failed')
  assert.is(err.domain, 'internal')
  assert.is(err.retriable, false)
  assert.is(err.name, 'KafkaConnectorError')
})

test.run()

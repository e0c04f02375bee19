/**
 * RabbitMQ: a queue as a source, an exchange as a sink (`amqplib`).
 *
 * The source acknowledges each message only when the checkpoint covering it completes, so a
 * failure redelivers it (at-least-once); with `exactlyOnce` (one source subtask,
 * publisher-set message ids) redeliveries are dropped by id. The sink publishes with
 * publisher confirms and waits for them at every checkpoint (at-least-once).
 *
 * @example
 * import { defineJob, WatermarkStrategy } from 'meshflow'
 * import { rabbitmqSource, rabbitmqSink } from 'meshflow/connectors/rabbitmq'
 *
 * export default defineJob(env => {
 *   env.enableCheckpointing(1_000)
 *   env.fromSource(rabbitmqSource<{ id: string, amount: number }>({ url: 'amqp://127.0.0.1:35672', queue: 'orders', prefetch: 5_000 }),
 *                  WatermarkStrategy.noWatermarks(), 'orders')
 *     .filter(o => o.amount > 100)
 *     .sinkTo(rabbitmqSink({ url: 'amqp://127.0.0.1:35672', exchange: '', routingKey: 'big-orders',
 *                            properties: o => ({ messageId: o.id }) }))
 * })
 */
export { rabbitmqSource, type RabbitMQSourceOptions, type RabbitMQSplit, type DeadLetter } from './source.ts'
export { rabbitmqSink, type RabbitMQSinkOptions } from './sink.ts'
export type { Deserializer, Serializer, DeserializerFn } from './serde.ts'
export {
  RabbitMQConnectorError, RabbitMQConnectionError, RabbitMQResourceError, MalformedMessageError,
  MissingMessageIdError, ExactlyOnceParallelismError, PublishNackedError, SerializationError,
  InvalidSplitError, type ErrorDomain
} from './errors.ts'

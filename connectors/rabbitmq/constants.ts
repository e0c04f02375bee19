/** Limits and defaults of the RabbitMQ connector. */

/** Unacknowledged messages a source consumer may hold (basic.qos) unless `prefetch` says otherwise. */
export const DEFAULT_PREFETCH = 2_000

/** How long a source or sink keeps reconnecting after losing the broker before it fails. */
export const DEFAULT_RECONNECT_MS = 30_000

/** First and largest pause between two connection attempts (doubling in between). */
export const RECONNECT_MIN_DELAY_MS = 100
export const RECONNECT_MAX_DELAY_MS = 5_000

/** AMQP heartbeat asked for, in seconds: a broker that stops answering is noticed after about twice this. */
export const DEFAULT_HEARTBEAT_S = 10

/** Published messages a sink writer lets wait for their confirm before a write waits. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000

/** How long `exactlyOnce` still recognises redeliveries of messages already acked (see AckTracker). */
export const DEFAULT_ID_RETENTION_MS = 60_000

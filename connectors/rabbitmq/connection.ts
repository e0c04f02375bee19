/**
 * Opening a connection to the broker with bounded retries: attempts back off from
 * RECONNECT_MIN_DELAY_MS, doubling up to RECONNECT_MAX_DELAY_MS, until `reconnectMs` has
 * passed; then the last error fails the caller (the job restarts from its checkpoint).
 */
import { connect, type ChannelModel } from 'amqplib'
import { logger } from '@libp2p/logger'
import { errorMessage } from '../../protocol/error-message.ts'
import { RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS } from './constants.ts'
import { RabbitMQConnectionError, RabbitMQResourceError } from './errors.ts'

const log = logger('meshflow:connectors:rabbitmq:connection')

/** How `connectWithRetry` tries. */
export interface ConnectOptions {
  /** How long to keep trying. */
  readonly reconnectMs: number
  /** AMQP heartbeat in seconds. */
  readonly heartbeatS: number
  readonly signal: AbortSignal
}

/** The URL as errors and logs show it: without the password. */
export function redactUrl (url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
}

/** `url` asking for a heartbeat of `seconds`, unless it names one itself. */
function withHeartbeat (url: string, seconds: number): string {
  if (/[?&]heartbeat=/.test(url)) return url
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`
}

function delay (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason); return }
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * A connection to `url`, retried until `options.reconnectMs` has passed.
 *
 * @throws {RabbitMQConnectionError} when no attempt succeeded in time (retriable)
 * @throws {RabbitMQResourceError} when the broker refuses the credentials or the vhost (the user's)
 */
export async function connectWithRetry (url: string, options: ConnectOptions): Promise<ChannelModel> {
  const deadline = Date.now() + options.reconnectMs
  let pause = RECONNECT_MIN_DELAY_MS
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted()
    try {
      const connection = await connect(withHeartbeat(url, options.heartbeatS), { timeout: Math.max(1_000, Math.min(10_000, deadline - Date.now())) })
      // an 'error' event without a listener would throw out of the socket handler and end the process
      connection.on('error', err => { log('connection to %s: %s', redactUrl(url), errorMessage(err)) })
      return connection
    } catch (err) {
      if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|403|530/.test(errorMessage(err))) {
        throw new RabbitMQResourceError(`RabbitMQ at ${redactUrl(url)} refused the connection (credentials or vhost)`, { cause: err })
      }
      if (Date.now() + pause > deadline) {
        throw new RabbitMQConnectionError(redactUrl(url), `could not be reached for ${options.reconnectMs} ms (${attempt} attempts)`, { cause: err })
      }
      log('connecting to %s failed (attempt %d), again in %d ms: %s', redactUrl(url), attempt, pause, errorMessage(err))
      await delay(pause, options.signal)
      pause = Math.min(pause * 2, RECONNECT_MAX_DELAY_MS)
    }
  }
}

/** Closes a connection, ignoring that it may be closed or broken already. */
export async function closeQuietly (connection: ChannelModel | undefined): Promise<void> {
  if (connection === undefined) return
  try {
    await connection.close()
  } catch {
    // closed already, or the socket is gone: nothing left to release
  }
}

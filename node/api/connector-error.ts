/**
 * The base of every connector's errors (STYLE rule 6): each says whose fault it is and
 * whether running the same thing again can help, so a user, a restart strategy or a
 * dashboard can tell bad data from a system that is down. Match on `err.name`.
 *
 * @example
 * class KafkaConnectorError extends ConnectorError { ... }
 * if (err instanceof ConnectorError && err.domain === 'user') console.error(err.message)
 */

/** `user`: the data or the options are wrong; `external`: the system connected to failed; `internal`: a bug of ours. */
export type ErrorDomain = 'user' | 'external' | 'internal'

export class ConnectorError extends Error {
  readonly domain: ErrorDomain
  /** True when running the job again (or retrying the call) may succeed without changes. */
  readonly retriable: boolean

  constructor (message = 'Connector failed', domain: ErrorDomain = 'internal', retriable = false, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConnectorError'
    this.domain = domain
    this.retriable = retriable
  }
}

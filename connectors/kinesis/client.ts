/**
 * The Kinesis client the source and sink share: the AWS SDK v3 client over HTTP/1.1 (the
 * SDK's default HTTP/2 handler fails against kinesalite with `Protocol error`), and one
 * retry policy — throttling backs off for as long as it lasts, network errors, timeouts and
 * 5xx answers are retried for `retryTimeoutMs`, everything else fails at once.
 */
import { KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { logger } from '@libp2p/logger'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvalidKinesisOptionError, KinesisRequestError, KinesisUnavailableError } from './errors.ts'
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_TIMEOUT_MS, EMULATOR_CREDENTIALS } from './constants.ts'

const log = logger('meshflow:connectors:kinesis')

/** How to reach a stream; shared by kinesisSource and kinesisSink. */
export interface KinesisConnectionOptions {
  /** The stream's name. */
  readonly stream: string
  /** AWS region (default: `AWS_REGION`, else `us-east-1` when an `endpoint` is given). */
  readonly region?: string
  /**
   * Another endpoint than AWS's, e.g. kinesalite's `http://127.0.0.1:34567`. With an
   * endpoint and no credentials configured (neither `credentials` nor `AWS_ACCESS_KEY_ID`),
   * fixed fake credentials are used: emulators check only that a request is signed.
   */
  readonly endpoint?: string
  /** Credentials; default: the AWS SDK's provider chain (environment, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string, readonly secretAccessKey: string, readonly sessionToken?: string }
  /** How long network errors, timeouts and 5xx answers are retried before failing (default 60 s). */
  readonly retryTimeoutMs?: number
  /** Timeout of one request (default 10 s). */
  readonly requestTimeoutMs?: number
}

/** True for the errors Kinesis answers when a shard or the account is over its limits. */
export function isThrottling (err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name
  return name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException' ||
    name === 'ThrottlingException' || name === 'KMSThrottlingException'
}

/** True when the same call may succeed later: no answer, a timeout, a 5xx, a stream still updating. */
export function isTransient (err: unknown): boolean {
  const e = err as { name?: unknown, $metadata?: { httpStatusCode?: number }, $fault?: unknown, code?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  if (e.name === 'AbortError') return false
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined && status >= 500) return true
  if (e.$fault === 'server') return true
  if (e.name === 'ResourceInUseException' || e.name === 'InternalFailure' || e.name === 'ServiceUnavailable' || e.name === 'TimeoutError') return true
  // no HTTP answer at all: a socket error or a request timeout
  return status === undefined && (typeof e.code === 'string' || e.name === 'RequestTimeout' || /socket|timeout|ECONN|EPIPE|network/i.test(String((e as Error).message)))
}

/** Creates the SDK client for `options` (HTTP/1.1, no SDK retries: `call` retries). */
export function createKinesisClient (options: KinesisConnectionOptions): KinesisClient {
  if (typeof options.stream !== 'string' || options.stream.length === 0) throw new InvalidKinesisOptionError('stream', 'must name a stream')
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (options.endpoint !== undefined ? 'us-east-1' : undefined)
  if (region === undefined) throw new InvalidKinesisOptionError('region', 'is missing (and AWS_REGION is not set)')
  const credentials = options.credentials ??
    (options.endpoint !== undefined && process.env.AWS_ACCESS_KEY_ID === undefined ? EMULATOR_CREDENTIALS : undefined)
  return new KinesisClient({
    region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      connectionTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    })
  })
}

/** Exponential backoff with jitter: 100 ms, 200 ms, … up to 5 s. */
export class Backoff {
  #attempt = 0
  next (): number {
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#attempt)
    this.#attempt = Math.min(this.#attempt + 1, 16)
    return ms / 2 + Math.random() * ms / 2
  }

  reset (): void { this.#attempt = 0 }
}

/** Counts of what `call` retried, for tests and metrics. */
export interface RetryStats { throttled: number, transient: number }

/**
 * Runs `request` until it succeeds: throttling is retried with backoff for as long as it
 * lasts, transient failures for `retryTimeoutMs` (then KinesisUnavailableError), anything
 * else throws KinesisRequestError at once.
 */
export async function call<R> (operation: string, stream: string, request: (signal: AbortSignal) => Promise<R>,
  options: { signal: AbortSignal, retryTimeoutMs?: number, stats?: RetryStats }): Promise<R> {
  const { signal } = options
  const retryMs = options.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_MS
  const backoff = new Backoff()
  let failingSince: number | undefined
  for (;;) {
    signal.throwIfAborted()
    try {
      return await request(signal)
    } catch (err) {
      signal.throwIfAborted()
      if (isThrottling(err)) {
        if (options.stats !== undefined) options.stats.throttled++
        log.trace('%s on %s throttled: %s', operation, stream, (err as Error).name)
      } else if (isTransient(err)) {
        if (options.stats !== undefined) options.stats.transient++
        failingSince ??= Date.now()
        const failedFor = Date.now() - failingSince
        if (failedFor >= retryMs) throw new KinesisUnavailableError(operation, stream, failedFor, err)
        log('%s on %s failed, retrying: %s', operation, stream, (err as Error).message)
      } else {
        throw new KinesisRequestError(operation, stream, String((err as { name?: unknown } | null)?.name ?? 'Error'), err)
      }
      await sleep(backoff.next(), undefined, { signal })
    }
  }
}

/** Every shard of `stream` (ListShards, all pages), open and closed. */
export async function listShards (client: KinesisClient, stream: string, options: { signal: AbortSignal, retryTimeoutMs?: number, stats?: RetryStats }): Promise<Shard[]> {
  const shards: Shard[] = []
  let token: string | undefined
  do {
    const page = await call('ListShards', stream, abortSignal =>
      client.send(new ListShardsCommand(token === undefined ? { StreamName: stream } : { NextToken: token }), { abortSignal }), options)
    shards.push(...(page.Shards ?? []))
    token = page.NextToken
  } while (token !== undefined)
  return shards
}

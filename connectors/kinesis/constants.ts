/** Defaults and service limits of the Kinesis connector. */

/** Wait between GetRecords calls of a shard that is caught up (Kinesis allows 5 calls/s per shard). */
export const DEFAULT_POLL_INTERVAL_MS = 250
/** Records asked for per GetRecords call (Kinesis allows up to 10,000). */
export const DEFAULT_RECORDS_PER_FETCH = 1_000
/** How long network errors, timeouts and 5xx answers are retried before the job fails. */
export const DEFAULT_RETRY_TIMEOUT_MS = 60_000
/** Timeout of one HTTP request to Kinesis (a call that hangs counts as a retriable failure). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** First and largest wait between retries (doubled each time, with jitter). */
export const BACKOFF_FIRST_MS = 100
export const BACKOFF_MAX_MS = 5_000
/** PutRecords limits: records and bytes per call, bytes per record (data plus partition key). */
export const MAX_RECORDS_PER_PUT = 500
export const MAX_BYTES_PER_PUT = 5 * 1024 * 1024
export const MAX_RECORD_BYTES = 1024 * 1024
/** Longest partition key Kinesis takes. */
export const MAX_PARTITION_KEY_LENGTH = 256
/** Credentials used against an `endpoint` (an emulator) when none are configured. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'meshflow', secretAccessKey: 'meshflow' } as const

/**
 * What a command may touch of the outside world, passed in rather than taken from
 * `process` so the commands stay testable and free of globals.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  /** What the user types (`meshflow sql`'s shell); process.stdin when not given. */
  readonly stdin?: NodeJS.ReadableStream
  /** Directory job paths are resolved against. */
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborted (with an InterruptedError) when the user interrupts the command. */
  readonly signal?: AbortSignal
}

/** True when MESHFLOW_DEBUG asks for stack traces. */
export function debugEnabled (io: CliIo): boolean {
  const v = io.env.MESHFLOW_DEBUG
  return v !== undefined && v !== '' && v !== '0' && v !== 'false'
}

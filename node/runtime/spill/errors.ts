/**
 * Errors of spilling (the memory budget of batch operators). Match on `err.name`.
 */

/** A memory size (`--task-memory`, `taskMemory`) that is not a size. */
export class InvalidMemorySizeError extends Error {
  constructor (what: string, given: unknown, options?: ErrorOptions) {
    super(`${what} must be a size such as 512k, 256m or 1g (at least 64k), got ${JSON.stringify(given) ?? String(given)}`, options)
    this.name = 'InvalidMemorySizeError'
  }
}

/** Writing or reading a spill file failed (a full disk, a removed folder); names the file. */
export class SpillFileError extends Error {
  readonly path: string
  constructor (path: string, action: 'write' | 'read' | 'create', cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`Could not ${action} spill file ${path}: ${reason}`, { cause })
    this.name = 'SpillFileError'
    this.path = path
  }
}

/** A spill file ends inside a block or holds what no writer wrote: a bug or a tampered file. */
export class CorruptSpillFileError extends Error {
  constructor (path: string, detail: string) {
    super(`Spill file ${path} is corrupt: ${detail}`)
    this.name = 'CorruptSpillFileError'
  }
}

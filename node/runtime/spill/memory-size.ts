/**
 * Memory sizes as people write them (`--task-memory 256m`, `taskMemory: '1g'`) and the
 * default budget of a task.
 *
 * @example
 * parseMemorySize('--task-memory', '1.5g') // 1610612736
 */
import { InvalidMemorySizeError } from './errors.ts'

/** The memory budget of a task when none is given: 256 MiB (the default). */
export const DEFAULT_TASK_MEMORY = 256 * 1024 * 1024

/** The smallest budget accepted: below it operators would spill a run every few rows. */
export const MIN_TASK_MEMORY = 64 * 1024

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 }

/**
 * Bytes of a size: a number of bytes, or text of a number and a binary unit (`k`, `m`, `g`,
 * `t`, also `kb`/`kib`…, any case). `what` names the setting in the error.
 *
 * @throws {InvalidMemorySizeError} not a size, or below MIN_TASK_MEMORY
 */
export function parseMemorySize (what: string, size: unknown): number {
  let bytes: number
  if (typeof size === 'number') {
    bytes = size
  } else if (typeof size === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(size)
    const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()]
    if (m === null || unit === undefined) throw new InvalidMemorySizeError(what, size)
    bytes = Math.floor(Number(m[1]) * unit)
  } else {
    throw new InvalidMemorySizeError(what, size)
  }
  if (!Number.isSafeInteger(bytes) || bytes < MIN_TASK_MEMORY) throw new InvalidMemorySizeError(what, size)
  return bytes
}

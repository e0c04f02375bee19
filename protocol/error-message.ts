/**
 * The message of whatever was thrown: an Error's `message`, anything else as a string.
 * One helper instead of `err instanceof Error ? err.message : String(err)` at every site
 * that logs or reports an error.
 *
 * @example
 * try { await work() } catch (err) { log('work failed: %s', errorMessage(err)) }
 */

/** `err.message` for an Error, else `String(err)`. */
export function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

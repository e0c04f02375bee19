/**
 * The version of the installed meshflow package, read from its package.json.
 */
import { readFileSync } from 'node:fs'

export function packageVersion (): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version
  return typeof version === 'string' ? version : 'unknown'
}

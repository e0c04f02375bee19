/**
 * Pre-shared keys for a private mesh (libp2p pnet, the "swarm.key" format):
 *
 *   /key/swarm/psk/1.0.0/
 *   /base16/
 *   <64 hex digits>
 *
 * Peers with another key cannot complete a connection.
 */
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { InvalidPskError } from './errors.ts'

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

/** A new random key in the swarm.key format. */
export function createPsk (): string {
  return `${HEADER}${randomBytes(32).toString('hex')}\n`
}

/** Checks the text of a key and returns its bytes as libp2p pnet wants them. */
export function parsePsk (text: string, source = 'the key'): Uint8Array {
  const lines = text.replace(/\r/g, '').split('\n').filter(l => l.length > 0)
  if (lines.length !== 3 || lines[0] !== '/key/swarm/psk/1.0.0/' || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2]!)) {
    throw new InvalidPskError(`Invalid pre-shared key in ${source}: expected '/key/swarm/psk/1.0.0/', '/base16/' and 64 hex digits (make one with 'meshflow keygen')`)
  }
  return new TextEncoder().encode(`${HEADER}${lines[2]!.toLowerCase()}`)
}

export async function readPskFile (path: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidPskError(`Cannot read the pre-shared key file ${path}`, { cause: err })
  }
  return parsePsk(text, path)
}

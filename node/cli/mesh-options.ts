/**
 * Flags the mesh commands share: multiaddrs (`--listen`, `--bootstrap`, `--mesh` or
 * MESHFLOW_MESH) checked before anything heavy loads, the pre-shared key file (`--psk`),
 * and the one-line description of an error with its cause.
 *
 * @example
 * const mesh = meshAddressOf(command.mesh, io.env, 'status')
 * const psk = command.psk === undefined ? undefined : await loadPsk(command.psk, io.cwd)
 */
import { resolve } from 'node:path'
import { parseMultiaddr } from '../mesh/mesh-host.ts'
import { UsageError } from './errors.ts'
import { asError } from '../mesh/as-error.ts'

/** Throws a UsageError naming `flag` when `address` is not a multiaddr. */
export function checkMultiaddr (address: string, flag: string): void {
  try {
    parseMultiaddr(address)
  } catch {
    throw new UsageError(`${flag} needs a multiaddr such as /ip4/127.0.0.1/tcp/7000, got '${address}'`)
  }
}

/** The peer to talk to: `--mesh`, else MESHFLOW_MESH; a UsageError when neither is set. */
export function meshAddressOf (flag: string | undefined, env: Readonly<Record<string, string | undefined>>, command: string): string {
  const fromEnv = env.MESHFLOW_MESH
  const mesh = flag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv)
  if (mesh === undefined) throw new UsageError(`'${command}' needs --mesh MA (or MESHFLOW_MESH): the multiaddr of any peer of the mesh`)
  checkMultiaddr(mesh, flag === undefined ? 'MESHFLOW_MESH' : '--mesh')
  return mesh
}

/** Reads and checks a swarm.key file (relative to `cwd`); its errors name the file. */
export async function loadPsk (file: string, cwd: string): Promise<Uint8Array> {
  const { readPskFile } = await import('../mesh/psk.ts')
  try {
    return await readPskFile(resolve(cwd, file))
  } catch (err) {
    throw new UsageError(`--psk: ${describeError(err)}`, { cause: err })
  }
}

/**
 * The message of `err` on one line, followed by its cause's when that adds something
 * (`Cannot read the pre-shared key file k: ENOENT: no such file or directory, open 'k'`).
 */
export function describeError (err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const text = asError(e).message.split('\n')[0]!.trim()
    if (text.length > 0 && !parts.some(p => p.includes(text))) parts.push(text)
    e = e instanceof Error ? e.cause : undefined
  }
  return parts.join(': ')
}

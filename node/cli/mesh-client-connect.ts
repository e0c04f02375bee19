/**
 * Connecting the CLI to a mesh: the peer from `--mesh` (or MESHFLOW_MESH), the key from
 * `--psk`, bounded in time, with errors that say what went wrong in words.
 */
import type { CliIo } from './cli-io.ts'
import { MeshConnectError } from './errors.ts'
import { describeError, loadPsk, meshAddressOf } from './mesh-options.ts'
import type { MeshClient } from '../cluster/mesh-client.ts'

export const CONNECT_TIMEOUT_MS = 5000

/** Connects to the mesh named by `--mesh`/MESHFLOW_MESH for `command`. */
export async function connectMesh (flags: { mesh: string | undefined, psk: string | undefined }, io: CliIo, command: string): Promise<{ client: MeshClient, mesh: string }> {
  const mesh = meshAddressOf(flags.mesh, io.env, command)
  const psk = flags.psk === undefined ? undefined : await loadPsk(flags.psk, io.cwd)
  const { MeshClient } = await import('../cluster/mesh-client.ts')
  const signal = io.signal === undefined ? AbortSignal.timeout(CONNECT_TIMEOUT_MS) : AbortSignal.any([AbortSignal.timeout(CONNECT_TIMEOUT_MS), io.signal])
  try {
    const client = await MeshClient.connect({ mesh, signal, ...(psk === undefined ? {} : { psk }) })
    return { client, mesh }
  } catch (err) {
    throw connectFailure(mesh, signal, err)
  }
}

/** The error of a connection to `mesh` that failed with `err` (`signal` bounded it in time), in words. */
export function connectFailure (mesh: string, signal: AbortSignal, err: unknown): MeshConnectError {
  const why = signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError'
    ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s (is a meshflow node listening there, with the same --psk?)`
    : /ECONNREFUSED/.test(describeError(err)) ? 'connection refused (is a meshflow node listening there?)' : describeError(err)
  return new MeshConnectError(mesh, why, { cause: err })
}

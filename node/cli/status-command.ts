/**
 * `meshflow status [--mesh MA] [--json] [--psk FILE]`: asks one peer of the mesh (from
 * `--mesh` or MESHFLOW_MESH) how it sees the mesh, and prints the JSON of DESIGN §7 or a
 * table with the leader marked. A peer that cannot be reached (down, wrong address, another
 * pre-shared key) is one line on stderr and exit 1.
 *
 * @example
 * await statusCommand({ type: 'status', mesh: '/ip4/127.0.0.1/tcp/7000', json: true, psk: undefined }, io)
 */
import type { CliIo } from './cli-io.ts'
import type { QueryCommand } from './command-line.ts'
import { MeshConnectError } from './errors.ts'
import { describeError, loadPsk, meshAddressOf } from './mesh-options.ts'
import { formatStatus, statusJson } from './format-status.ts'

/** How long `status` waits to connect, and then for the answer. */
export const STATUS_CONNECT_TIMEOUT_MS = 5000
export const STATUS_ANSWER_TIMEOUT_MS = 10_000

function within (ms: number, signal: AbortSignal | undefined): AbortSignal {
  return signal === undefined ? AbortSignal.timeout(ms) : AbortSignal.any([AbortSignal.timeout(ms), signal])
}

/**
 * Why a connection or request failed, in words (a timeout says so, not "operation aborted").
 * While connecting (`psk` says whether the client has a key), a peer with another pre-shared
 * key (or one when the client has none) is silent or answers what looks like noise, so such
 * failures point at --psk.
 */
function reason (err: unknown, signal: AbortSignal, ms: number, psk: boolean | undefined): string {
  if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
    return `no answer within ${ms / 1000} s${psk === undefined ? '' : ' (is a meshflow node listening there, with the same --psk?)'}`
  }
  if (signal.aborted) return describeError(signal.reason)
  const text = describeError(err)
  if (/ECONNREFUSED/.test(text)) return 'connection refused (is a meshflow node listening there?)'
  if (psk === undefined || /ENETUNREACH|EHOSTUNREACH|ENOTFOUND|EADDRNOTAVAIL|identity key/.test(text)) return text
  return `${text} (${psk ? 'does --psk match the mesh\'s key?' : 'if the mesh is private, give its key with --psk'})`
}

export async function statusCommand (command: QueryCommand, io: CliIo): Promise<number> {
  const mesh = meshAddressOf(command.mesh, io.env, command.type)
  const psk = command.psk === undefined ? undefined : await loadPsk(command.psk, io.cwd)
  const { MeshClient } = await import('../cluster/mesh-client.ts')

  const connecting = within(STATUS_CONNECT_TIMEOUT_MS, io.signal)
  let client: Awaited<ReturnType<typeof MeshClient.connect>>
  try {
    client = await MeshClient.connect({ mesh, signal: connecting, ...(psk === undefined ? {} : { psk }) })
  } catch (err) {
    throw new MeshConnectError(mesh, reason(err, connecting, STATUS_CONNECT_TIMEOUT_MS, psk !== undefined), { cause: err })
  }
  try {
    const asking = within(STATUS_ANSWER_TIMEOUT_MS, io.signal)
    let status
    try {
      status = await client.status({ signal: asking })
    } catch (err) {
      throw new MeshConnectError(mesh, reason(err, asking, STATUS_ANSWER_TIMEOUT_MS, undefined), { cause: err })
    }
    io.stdout.write(command.json ? JSON.stringify(statusJson(status)) + '\n' : formatStatus(status))
    return 0
  } finally {
    await client.close()
  }
}

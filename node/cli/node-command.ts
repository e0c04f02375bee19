/**
 * `meshflow node`: runs one peer of a mesh in this process until SIGINT or SIGTERM.
 *
 * stdout, one line each (for people and for scripts that wait on them):
 *
 *   listening /ip4/127.0.0.1/tcp/7000/p2p/12D3KooW…      one per listen address
 *   api http://127.0.0.1:8080/status                        with --api PORT
 *   role follower (TaskManager) term 3 leader 12D3KooW…     the peer's role now, then on every change
 *   peer joined 12D3KooW… | peer lost … | peer left …       membership
 *   stopped                                                 after a graceful stop
 *
 * A role line is printed when the role changes and when a new leader becomes known. On
 * SIGINT/SIGTERM the peer stops gracefully (a leader hands leadership over first) and the
 * command exits 0; a second signal exits at once (bin.ts). A peer that meets a peer of
 * another Raft group (a split mesh) says so on stderr: `warning: split mesh: …`. Start-up failures (a bad
 * address, an unreadable key, a data directory another node holds, a port in use) are one
 * line on stderr.
 *
 * @example
 * await nodeCommand(parseCommandLine(['node', '--listen', '/ip4/127.0.0.1/tcp/0']) as NodeCommand, io)
 */
import { resolve } from 'node:path'
import { enable as enableLogs } from '@libp2p/logger'
import type { Peer, PeerInit, RoleChange } from '../cluster/peer.ts'
import type { CliIo } from './cli-io.ts'
import type { NodeCommand } from './command-line.ts'
import { PeerStartError } from './errors.ts'
import { checkMultiaddr, describeError, loadPsk } from './mesh-options.ts'
import { peerLine, roleLine } from './role-line.ts'
import type { ApiServer } from './api-server.ts'

/** The logs `meshflow node` prints on stderr by default: meshflow's errors. */
export const ERROR_LOGS = 'meshflow:*:error'

/** Listen address when no --listen is given: every interface, a port the OS picks. */
export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/0'
/** Data directory when no --data-dir is given, relative to the working directory. */
export const DEFAULT_DATA_DIR = 'meshflow-data'

function labelsOf (labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const l of labels) {
    const eq = l.indexOf('=')
    out[l.slice(0, eq)] = l.slice(eq + 1)
  }
  return { ...out }
}

/** One line for an error of `Peer.start`, naming the directory, address or port at fault. */
function startError (err: unknown, dataDir: string): PeerStartError {
  const e = err as Error & { cause?: unknown }
  if (e?.name === 'ForceNewMeshError') return new PeerStartError(e.message, { cause: err })
  if (e?.name === 'StoreOpenError') {
    const cause = describeError(e.cause)
    if (/\block\b|LOCK/.test(cause)) {
      return new PeerStartError(`Cannot use the data directory ${dataDir}: another process holds its lock (is a meshflow node already running with this --data-dir?)`, { cause: err })
    }
    return new PeerStartError(`Cannot use the data directory ${dataDir}: ${cause}`, { cause: err })
  }
  if (e?.name === 'RaftStateDamagedError') {
    const detail = (e as Error & { detail?: string }).detail ?? describeError(err)
    return new PeerStartError(`The Raft state in ${dataDir} is damaged (${detail}): start with --repair to drop it and rejoin as a fresh learner`, { cause: err })
  }
  if (e?.name === 'UnsupportedListenAddressesError') {
    // libp2p lists each failed address as "  /ip4/…: Error: listen EADDRINUSE: …" after a paragraph of advice
    const line = /^\s*(\/\S+): (?:\w*Error: )?(.*)$/m.exec(e.message)
    if (line !== null) return new PeerStartError(`Cannot listen on ${line[1]!}: ${line[2]!}`, { cause: err })
  }
  return new PeerStartError(`Cannot start the peer: ${describeError(err)}`, { cause: err })
}

/**
 * Prints the role lines: the role on start, then whenever the role changes or a new leader
 * becomes known (a follower whose leader changes keeps its role but gets a line).
 */
function followRoles (peer: Peer, write: (line: string) => void): () => void {
  let last: RoleChange = { role: peer.role, term: peer.term, leaderId: peer.leaderId }
  write(roleLine(last))
  const update = (): void => {
    const now: RoleChange = { role: peer.role, term: peer.term, leaderId: peer.leaderId }
    const newLeader = now.leaderId !== undefined && (now.leaderId !== last.leaderId || now.term !== last.term)
    if (now.role === last.role && !newLeader) return
    if (now.role === last.role && now.role === 'leader' && now.term === last.term) return
    last = now
    write(roleLine(now))
  }
  const onJoin = (m: { id: string }): void => { write(peerLine('joined', m.id)) }
  const onLeave = (m: { id: string, reason: 'lost' | 'left' }): void => { write(peerLine(m.reason, m.id)) }
  const offs = [
    peer.on('role-change', update),
    peer.on('leader-change', update),
    peer.on('peer:join', onJoin),
    peer.on('peer:leave', onLeave)
  ]
  return () => { for (const off of offs) off() }
}

function aborted (signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => {}) // runs until the process ends
  if (signal.aborted) return Promise.resolve()
  return new Promise(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}

/**
 * Hidden knobs for tests and benchmarks, not flags: MESHFLOW_RAFT_SNAPSHOT_EVERY (applied
 * entries between two Raft snapshots, default 1,000, 0 never) and
 * MESHFLOW_RAFT_SNAPSHOT_MARGIN (entries kept behind a snapshot, default 500).
 */
function raftTuning (env: Readonly<Record<string, string | undefined>>): Pick<PeerInit, 'raft'> {
  const int = (name: string): number | undefined => {
    const v = env[name]
    if (v === undefined || v === '') return undefined
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`)
    return n
  }
  const every = int('MESHFLOW_RAFT_SNAPSHOT_EVERY')
  const margin = int('MESHFLOW_RAFT_SNAPSHOT_MARGIN')
  if (every === undefined && margin === undefined) return {}
  return { raft: { ...(every === undefined ? {} : { snapshotEvery: every }), ...(margin === undefined ? {} : { snapshotMargin: margin }) } }
}

/**
 * Hidden knobs for tests, not flags: MESHFLOW_GC_INTERVAL_MS (how often the garbage
 * collector runs, default 5 min), MESHFLOW_GC_GRACE_MS (how young a block it never
 * deletes, default 10 min) and MESHFLOW_REPLICAS (copies of each block, default
 * `min(3, peers)`); undefined when none is set.
 */
function gcTuning (env: Readonly<Record<string, string | undefined>>): { gcIntervalMs?: number, gcGraceMs?: number, replicas?: number } | undefined {
  const int = (name: string): number | undefined => {
    const v = env[name]
    if (v === undefined || v === '') return undefined
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`)
    return n
  }
  const interval = int('MESHFLOW_GC_INTERVAL_MS')
  const grace = int('MESHFLOW_GC_GRACE_MS')
  const replicas = int('MESHFLOW_REPLICAS')
  if (interval === undefined && grace === undefined && replicas === undefined) return undefined
  return { ...(interval === undefined ? {} : { gcIntervalMs: interval }), ...(grace === undefined ? {} : { gcGraceMs: grace }), ...(replicas === undefined || replicas < 1 ? {} : { replicas }) }
}

/** Runs the peer until `io.signal` aborts; resolves with exit code 0 after a graceful stop. */
export async function nodeCommand (command: NodeCommand, io: CliIo): Promise<number> {
  const listen = command.listen.length > 0 ? command.listen : [DEFAULT_LISTEN]
  for (const a of listen) checkMultiaddr(a, '--listen')
  for (const a of command.bootstrap) checkMultiaddr(a, '--bootstrap')
  const psk = command.psk === undefined ? undefined : await loadPsk(command.psk, io.cwd)
  const dataDir = resolve(io.cwd, command.dataDir ?? DEFAULT_DATA_DIR)
  const init: PeerInit = {
    listen,
    bootstrap: command.bootstrap,
    dataDir,
    labels: labelsOf(command.labels),
    mdns: command.mdns,
    ...(command.slots === undefined ? {} : { slots: command.slots }),
    ...(command.threads === undefined ? {} : { threads: command.threads }),
    ...(command.taskMemory === undefined ? {} : { taskMemory: command.taskMemory }),
    ...(psk === undefined ? {} : { psk }),
    ...(command.maxVoters === undefined ? {} : { maxVoters: command.maxVoters }),
    ...(command.repair ? { repair: true } : {}),
    ...(command.scrubIntervalS === undefined && command.scrubRate === undefined && gcTuning(io.env) === undefined
      ? {}
      : {
          storage: {
            ...(command.scrubIntervalS === undefined ? {} : { scrubIntervalMs: command.scrubIntervalS * 1000 }),
            ...(command.scrubRate === undefined ? {} : { scrubBytesPerSecond: command.scrubRate }),
            ...gcTuning(io.env)
          }
        }),
    ...raftTuning(io.env),
    ...(command.bootstrapExpect === undefined ? {} : { bootstrapExpect: command.bootstrapExpect }),
    ...(command.forceNewMesh ? { forceNewMesh: true } : {})
  }
  // errors the peer logs (a refused forged report, a skipped log entry, a corrupt block) are
  // the operator's to see: on stderr unless DEBUG chooses what to log
  if (io.env.DEBUG === undefined) enableLogs(ERROR_LOGS)
  // libp2p, RocksDB and Raft load only here, when a peer starts; the job API and the task
  // runtime load when the peer first plans or runs a job (cluster/load-job-runtime.ts)
  const { Peer } = await import('../cluster/peer.ts')
  let peer: Peer
  try {
    peer = await Peer.start(init)
  } catch (err) {
    throw startError(err, command.dataDir ?? DEFAULT_DATA_DIR)
  }

  const write = (line: string): void => { io.stdout.write(line + '\n') }
  let api: ApiServer | undefined
  let unfollow: (() => void) | undefined
  try {
    if (command.api !== undefined) {
      const { startApiServer } = await import('./api-server.ts')
      const { statusJson } = await import('./format-status.ts')
      const p = peer
      try {
        api = await startApiServer(command.api, () => statusJson(p.status()))
      } catch (err) {
        throw new PeerStartError(`Cannot serve --api on 127.0.0.1:${command.api}: ${describeError(err)}`, { cause: err })
      }
    }
    for (const address of peer.multiaddrs) write(`listening ${address}`)
    if (api !== undefined) write(`api ${api.url}/status`)
    unfollow = followRoles(peer, write)
    // a split mesh must not go unnoticed: one line on stderr per peer of another Raft group
    const offConflict = peer.on('group-conflict', c => { io.stderr.write(`warning: ${c.message}\n`) })
    const offRoles = unfollow
    unfollow = () => { offRoles(); offConflict() }
    await aborted(io.signal)
  } finally {
    await api?.close()
    await peer.stop()
    unfollow?.()
  }
  write('stopped')
  return 0
}

/**
 * A mesh of `meshflow node` processes on loopback for tests and benchmarks: every node has
 * its own data directory under one temp directory, listens on 127.0.0.1 tcp/0 without mDNS
 * and bootstraps to the first node's printed address. `close()` kills whatever still runs
 * and removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { BIN, NodeProcess, ROOT, firstTo, type NodeOptions } from './node-process.ts'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { PeerStore } from '../../node/storage/peer-store.ts'
import { RaftLogStore } from '../../node/storage/raft-log-store.ts'
import type { LogEntry } from '../../protocol/raft.ts'

export interface LocalMeshOptions {
  readonly psk?: string
  /** Extra `meshflow node` flags for every node. */
  readonly args?: readonly string[]
}

export class LocalMesh {
  readonly dir: string
  readonly nodes: NodeProcess[] = []
  options: LocalMeshOptions

  constructor (options: LocalMeshOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'meshflow-mesh-'))
    this.options = options
  }

  /** Starts `n` nodes, the first one alone, the others bootstrapping to it. */
  static async start (n: number, options: LocalMeshOptions = {}): Promise<LocalMesh> {
    const mesh = new LocalMesh(options)
    try {
      for (let i = 0; i < n; i++) await mesh.add()
    } catch (err) {
      await mesh.close()
      throw err
    }
    return mesh
  }

  get live (): NodeProcess[] { return this.nodes.filter(n => n.alive) }

  /** A live node's address to bootstrap to (the first live node). */
  #bootstrap (except?: NodeProcess): string[] {
    const to = this.live.find(n => n !== except)
    return to === undefined ? [] : [to.address]
  }

  /** Starts one more node (`p<i>`), bootstrapping to the first live node. */
  async add (extra: Partial<NodeOptions> = {}): Promise<NodeProcess> {
    const name = `p${this.nodes.length}`
    const node = await NodeProcess.start({
      dataDir: join(this.dir, name),
      name,
      bootstrap: this.#bootstrap(),
      ...(this.options.psk === undefined ? {} : { psk: this.options.psk }),
      ...(this.options.args === undefined ? {} : { args: this.options.args }),
      ...extra
    })
    this.nodes.push(node)
    return node
  }

  /** Starts `node` again on its data directory (after it was killed); it takes its place in `nodes`. */
  async restart (node: NodeProcess): Promise<NodeProcess> {
    if (node.alive) throw new Error(`${node.name} is still running`)
    const again = await NodeProcess.start({ ...node.options, bootstrap: this.#bootstrap(node) })
    this.nodes[this.nodes.indexOf(node)] = again
    return again
  }

  /**
   * Waits until every live node reports the same leader in the same term, that leader
   * reports itself as leader, and (with `voters`) that many live nodes are leader or follower.
   */
  async agreedLeader (ms: number, voters?: number): Promise<NodeProcess> {
    const agreed = (): boolean => {
      const live = this.live
      const leaders = live.filter(n => n.isLeader)
      if (leaders.length !== 1) return false
      const { id } = leaders[0]!
      const { term } = leaders[0]!.state
      if (!live.every(n => n.state.leader === id && n.state.term === term)) return false
      return voters === undefined || live.filter(n => n.state.role === 'leader' || n.state.role === 'follower').length >= voters
    }
    await firstTo(this.live, 'one leader all agree on', agreed, ms)
    return this.live.find(n => n.isLeader)!
  }

  async close (): Promise<void> {
    for (const n of this.nodes) n.kill('SIGKILL')
    await Promise.all(this.nodes.map(async n => await n.exited))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export interface CliOutput {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `meshflow ...args` to its end (optionally under `prefix`, e.g. `ip netns exec ns`). */
export function runMeshflow (args: readonly string[], options: { prefix?: readonly string[], timeoutMs?: number } = {}): Promise<CliOutput> {
  const [command, ...prefixArgs] = [...options.prefix ?? [], process.execPath]
  const child = spawn(command!, [...prefixArgs, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, MESHFLOW_DEBUG: undefined, MESHFLOW_MESH: undefined },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 20_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The `status --json` shape of DESIGN §7. */
export interface MeshStatusJson {
  leader: string | null
  term: number
  peers: { id: string, addrs: string[], labels: Record<string, string>, slots: number, freeSlots: number, role: string }[]
}

/** `meshflow status --mesh address --json`, parsed; throws with the CLI's stderr when it fails. */
export async function statusJson (address: string, options: { psk?: string, prefix?: readonly string[] } = {}): Promise<MeshStatusJson> {
  const r = await runMeshflow(['status', '--mesh', address, '--json', ...(options.psk === undefined ? [] : ['--psk', options.psk])], options)
  if (r.code !== 0) throw new Error(`meshflow status --mesh ${address} exited ${r.code}: ${r.stderr.trim()}`)
  return JSON.parse(r.stdout) as MeshStatusJson
}

/** Polls `check` until it holds, failing with `what` after `ms` (a generous deadline, not a timing assertion). */
export async function until (what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/** Runs `fn` but rejects after `ms` (naming `what`), so a hung test fails instead of stalling the suite. */
export async function bounded<T> (what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} took longer than ${ms} ms`)) }, ms) })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Commits one marker entry per text to the metadata log through the peer at `address` (one
 * client, in order); resolves with where each was committed.
 */
export async function markEntries (address: string, texts: readonly string[], options: { timeoutMs?: number } = {}): Promise<{ index: number, term: number }[]> {
  const client = await MeshClient.connect({ mesh: address, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) })
  try {
    const out = []
    for (const text of texts) out.push(await client.mark(text, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) }))
    return out
  } finally {
    await client.close()
  }
}

/** The Raft log (entries after any snapshot) a stopped node left in its data directory. */
export async function raftLogOf (dataDir: string): Promise<LogEntry[]> {
  const store = await PeerStore.open(dataDir)
  try {
    return (await new RaftLogStore(store).load()).entries
  } finally {
    await store.close()
  }
}

/** A job as `meshflow jobs --json` prints it. */
export interface JobJson {
  id: string
  state: string
  restarts: number
  tasks: { vertex: string, subtask: number, peer: string }[]
  checkpoints?: { completed: number, latest?: { id: number, at: number } }
  restoreHistory?: { attempt: number, checkpointId: number | null, at: number }[]
  error?: string
}

/** Job `id` as peer `via` reports it (undefined while the CLI cannot answer). */
export async function jobOf (via: NodeProcess, id: string): Promise<JobJson | undefined> {
  const out = await runMeshflow(['jobs', '--mesh', via.address, '--json'])
  if (out.code !== 0) return undefined
  return (JSON.parse(out.stdout) as JobJson[]).find(j => j.id === id)
}

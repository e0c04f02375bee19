/**
 * Test helpers for meshes of real `meshflow node` processes: each NodeProcess is a separate
 * OS process running node/cli/bin.ts with its own data directory, whose stdout lines
 * (`listening …`, `role …`, `peer …`) are parsed as they arrive. Used by the multi-process
 * tests in this folder and by test/bench/failover.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = fileURLToPath(new URL('../../node/cli/bin.ts', import.meta.url))

export interface NodeOptions {
  readonly dataDir: string
  /** Default `/ip4/127.0.0.1/tcp/0`. */
  readonly listen?: string
  readonly bootstrap?: readonly string[]
  readonly psk?: string
  readonly args?: readonly string[]
  /** Flags for Node itself, before the script (e.g. `--max-semi-space-size=2`). */
  readonly nodeArgs?: readonly string[]
  /** A command the node runs under, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  readonly prefix?: readonly string[]
  /** A name for messages (default the data directory's last part). */
  readonly name?: string
}

/** What the latest role line of a node said. */
export interface RoleState {
  readonly role: string
  readonly term: number
  /** The leader's id (the node's own id when it leads); undefined while unknown. */
  readonly leader: string | undefined
}

const ROLE_LINE = /^role (\w+)(?: \([^)]*\))? term (\d+)(?: leader (\S+))?$/

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Polls `cond` every 20 ms until it holds; rejects naming `what` after `ms`. */
export async function waitFor (what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
  }
}

/** One `meshflow node` process. */
export class NodeProcess {
  readonly options: NodeOptions
  readonly name: string
  readonly child: ChildProcess
  readonly spawnedAt: number
  readonly lines: string[] = []
  stderr = ''
  /** `performance.now()` when the first `listening` line arrived. */
  listeningAt: number | undefined
  /** `performance.now()` when a role line first named a leader. */
  joinedAt: number | undefined
  id = ''
  /** The first listen address, with `/p2p/<id>`. */
  address = ''
  state: RoleState = { role: 'unknown', term: 0, leader: undefined }
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  readonly #listeners = new Set<() => void>()
  #pending = ''

  private constructor (options: NodeOptions) {
    this.options = options
    this.name = options.name ?? options.dataDir.split('/').pop()!
    const args = [...options.nodeArgs ?? [], BIN, 'node', '--listen', options.listen ?? '/ip4/127.0.0.1/tcp/0', '--data-dir', options.dataDir, '--no-mdns']
    for (const b of options.bootstrap ?? []) args.push('--bootstrap', b)
    if (options.psk !== undefined) args.push('--psk', options.psk)
    args.push(...options.args ?? [])
    const [command, ...prefixArgs] = [...options.prefix ?? [], process.execPath]
    this.spawnedAt = performance.now()
    this.child = spawn(command!, [...prefixArgs, ...args], {
      cwd: ROOT,
      env: { ...process.env, MESHFLOW_DEBUG: undefined, MESHFLOW_MESH: undefined },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.#onData(d) })
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d })
    this.exited = new Promise(resolve => {
      this.child.on('close', (code, signal) => {
        this.#notify()
        resolve({ code, signal })
      })
    })
  }

  /** Spawns a node and resolves once it printed its listen address. */
  static async start (options: NodeOptions, timeoutMs = 30_000): Promise<NodeProcess> {
    const node = new NodeProcess(options)
    try {
      await node.waitFor('its listening line', () => node.address !== '', timeoutMs)
    } catch (err) {
      node.kill('SIGKILL')
      throw err
    }
    return node
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }
  get isLeader (): boolean { return this.state.role === 'leader' }

  #onData (d: string): void {
    this.#pending += d
    let nl: number
    while ((nl = this.#pending.indexOf('\n')) !== -1) {
      const line = this.#pending.slice(0, nl)
      this.#pending = this.#pending.slice(nl + 1)
      this.lines.push(line)
      this.#onLine(line)
    }
    this.#notify()
  }

  #onLine (line: string): void {
    if (line.startsWith('listening ') && this.address === '') {
      this.listeningAt = performance.now()
      this.address = line.slice('listening '.length)
      this.id = this.address.slice(this.address.lastIndexOf('/p2p/') + 5)
      return
    }
    const m = ROLE_LINE.exec(line)
    if (m !== null) {
      const role = m[1]!
      this.state = { role, term: Number(m[2]), leader: role === 'leader' ? this.id : m[3] }
      if (this.state.leader !== undefined && this.joinedAt === undefined) this.joinedAt = performance.now()
    }
  }

  #notify (): void {
    for (const l of [...this.#listeners]) l()
  }

  /** Calls `listener` after every line and when the process exits; returns a function that removes it. */
  onChange (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Resolves as soon as `cond` holds after a line arrives (no polling); rejects after `ms` or if the node exits first. */
  waitFor (what: string, cond: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(new Error(`Timed out after ${ms} ms waiting for ${this.name}: ${what}; output:\n${this.lines.join('\n')}\n${this.stderr}`)) }, ms)
      const done = (err?: Error): void => {
        clearTimeout(timer)
        off()
        if (err === undefined) resolve()
        else reject(err)
      }
      const check = (): void => {
        if (cond()) done()
        else if (!this.alive) done(new Error(`${this.name} exited while waiting for ${what}; stderr: ${this.stderr.trim()}`))
      }
      const off = this.onChange(check)
      check()
    })
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal)
  }

  /** SIGTERM, then SIGKILL if it has not exited within `ms`; resolves with how it ended. */
  async stop (ms = 8000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    this.kill('SIGTERM')
    const timer = setTimeout(() => { this.kill('SIGKILL') }, ms)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Resolves with the first of `nodes` that satisfies `cond` (checked on every line of any of them). */
export function firstTo (nodes: readonly NodeProcess[], what: string, cond: (n: NodeProcess) => boolean, ms: number): Promise<NodeProcess> {
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = []
    const timer = setTimeout(() => {
      done(undefined, new Error(`Timed out after ${ms} ms waiting for a node to reach ${what}; roles: ${nodes.map(n => `${n.name} ${n.alive ? JSON.stringify(n.state) : 'dead'}`).join(', ')}`))
    }, ms)
    const done = (node: NodeProcess | undefined, err?: Error): void => {
      clearTimeout(timer)
      for (const off of offs) off()
      if (node !== undefined) resolve(node)
      else reject(err)
    }
    const check = (): void => {
      const node = nodes.find(n => cond(n))
      if (node !== undefined) done(node)
    }
    for (const n of nodes) offs.push(n.onChange(check))
    check()
  })
}

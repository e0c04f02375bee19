/**
 * The batch benchmark on a mesh of three `meshflow node` processes (test/bench/fixtures/
 * bench-peer.ts): the data generated into the mesh's datasets by a job
 * (fixtures/batch-job.ts, `--mode import`), then each query submitted as a job module at
 * parallelism `parallelism`, timed from submit (the client bundles the module) to the
 * job's end; its rows come back through files the job's sink writes.
 *
 * @example
 * const mesh = await MeshRun.start(root, 3); await mesh.import(6_000_000, 6); const r = await mesh.query('q1', 3); await mesh.stop()
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { MeshClient } from '../../../node/cluster/mesh-client.ts'
import type { QueryName } from './queries.ts'

const peerFile = new URL('../fixtures/bench-peer.ts', import.meta.url).pathname
const jobFile = new URL('../fixtures/batch-job.ts', import.meta.url).pathname

export class MeshRun {
  readonly #root: string
  readonly #children: ChildProcess[]
  readonly #client: MeshClient
  readonly #jobFile: string
  /** The first peer's address (what a client connects to). */
  readonly multiaddr: string
  #runs = 0

  private constructor (root: string, children: ChildProcess[], client: MeshClient, jobModule: string, multiaddr: string) {
    this.#root = root
    this.#children = children
    this.#client = client
    this.#jobFile = jobModule
    this.multiaddr = multiaddr
  }

  /**
   * Starts `peers` peer processes with their stores under `root` and waits until they form
   * a mesh; `jobModule` is the job `import` and `query` submit (default fixtures/batch-job.ts).
   */
  static async start (root: string, peers: number, jobModule: string = jobFile): Promise<MeshRun> {
    const children: ChildProcess[] = []
    const start = async (name: string, ...bootstrap: string[]): Promise<string> => {
      const child = spawn(process.execPath, [peerFile, join(root, name), `peer=${name}`, ...bootstrap], { stdio: ['ignore', 'pipe', 'inherit'] })
      children.push(child)
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`Peer ${name} did not start`)) }, 30_000)
        createInterface({ input: child.stdout! }).on('line', line => {
          if (line.startsWith('ready ')) { clearTimeout(timer); resolve(line.slice(6)) }
        })
        child.on('exit', code => { clearTimeout(timer); reject(new Error(`Peer ${name} exited with ${code}`)) })
      })
    }
    try {
      const first = await start('p0')
      for (let i = 1; i < peers; i++) await start(`p${i}`, first)
      const client = await MeshClient.connect({ mesh: first })
      for (let i = 0; ; i++) {
        const s = await client.status()
        if (s.leader !== null && s.peers.length === peers && s.peers.every(p => p.role !== 'lost' && p.role !== 'candidate' && p.slots > 0)) break
        if (i > 600) throw new Error(`The ${peers} peers never formed a mesh`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      return new MeshRun(root, children, client, jobModule, first)
    } catch (err) {
      await stopAll(children)
      throw err
    }
  }

  async #run (name: string, parallelism: number, args: Record<string, string>): Promise<number> {
    const started = performance.now()
    const id = await this.#client.submit(this.#jobFile, { name, parallelism, args })
    const result = await this.#client.awaitJob(id)
    if (result.state !== 'FINISHED') throw new Error(`Job ${name} on the mesh ended ${result.state}: ${result.error ?? ''}`)
    return performance.now() - started
  }

  /** Generates table `table` of the data of `rows` line items into the mesh; its time in ms. */
  async import (table: string, rows: number, partitions: number, parallelism: number): Promise<number> {
    return await this.#run(`import ${table}`, parallelism, { mode: 'import', table, rows: String(rows), partitions: String(partitions) })
  }

  /** Runs query `q`: its time in ms and its rows. */
  async query (q: QueryName, parallelism: number): Promise<{ ms: number, rows: Record<string, unknown>[] }> {
    const out = join(this.#root, `out-${++this.#runs}`)
    const ms = await this.#run(`bench ${q}`, parallelism, { mode: 'query', query: q, out })
    const rows = readdirSync(out).flatMap(f => JSON.parse(readFileSync(join(out, f), 'utf8')) as Record<string, unknown>[])
    rmSync(out, { recursive: true, force: true })
    return { ms, rows }
  }

  async stop (): Promise<void> {
    await this.#client.close()
    await stopAll(this.#children)
  }
}

async function stopAll (children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async c => await new Promise<void>(resolve => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return }
    const timer = setTimeout(() => { c.kill('SIGKILL') }, 5000)
    c.once('exit', () => { clearTimeout(timer); resolve() })
    c.kill('SIGTERM')
  })))
}

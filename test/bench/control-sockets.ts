/**
 * Benchmark: the mesh's control path under hostile and heavy connections (issue 9, items 4
 * and 8), on a 3-peer mesh of `meshflow node` processes on loopback.
 *
 * - `status` latency from a client (a new connection, then the request, as `meshflow
 *   status` does; timed in this process so node start-up is not counted), p50/p99, first
 *   with no idle sockets (the baseline, same run) and then while a separate attacker
 *   process holds 200 idle sockets from 127.0.0.2 against the peer asked. Target: p99 < 1 s.
 * - A private mesh (--psk) taking 20 MB bursts of block puts and reads into every peer and
 *   2,000 connections opened and closed (test/cluster/fixtures/psk-traffic.ts); every peer
 *   must stay up.
 *
 * One JSON line per result.
 *
 *   node test/bench/control-sockets.ts     (MESHFLOW_BENCH_SAMPLES=100, MESHFLOW_BENCH_CONNECTIONS=2000)
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { MeshClient } from '../../node/cluster/mesh-client.ts'
import { LocalMesh, runMeshflow, statusJson } from '../cluster/local-mesh.ts'
import { ROOT, waitFor } from '../cluster/node-process.ts'

const SAMPLES = Number(process.env.MESHFLOW_BENCH_SAMPLES ?? 100)
const CONNECTIONS = Number(process.env.MESHFLOW_BENCH_CONNECTIONS ?? 2000)
const IDLE = 200

function emit (record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ bench: 'control-sockets', ...record }) + '\n')
}

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]!
}

/** `SAMPLES` status calls, each on a new connection; failures are counted, not timed. */
async function statusLatency (address: string, psk: Uint8Array | undefined): Promise<{ p50: number, p99: number, max: number, failures: number }> {
  const times: number[] = []
  let failures = 0
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now()
    try {
      const client = await MeshClient.connect({ mesh: address, signal: AbortSignal.timeout(5000), ...(psk === undefined ? {} : { psk }) })
      try {
        await client.status({ signal: AbortSignal.timeout(10_000) })
      } finally {
        await client.close()
      }
      times.push(performance.now() - t0)
    } catch {
      failures++
    }
  }
  times.sort((a, b) => a - b)
  const r = (x: number): number => Math.round(x * 10) / 10
  return { p50: r(percentile(times, 50)), p99: r(percentile(times, 99)), max: r(times.at(-1) ?? NaN), failures }
}

function tcpTarget (address: string): string {
  const parts = address.split('/')
  return `${parts[2]}:${parts[4]}`
}

async function withAttacker<T> (target: string, idle: number, fn: () => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [join(ROOT, 'test/cluster/fixtures/socket-flood.ts'), '--target', target, '--idle', String(idle), '--garbage', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  const exited = new Promise<void>(resolve => child.on('close', () => { resolve() }))
  try {
    await waitFor('the attacker', () => out.includes('ready\n'), 30_000)
    return await fn()
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

async function latencyRun (): Promise<void> {
  const mesh = await LocalMesh.start(3)
  try {
    await mesh.agreedLeader(30_000, 3)
    const address = mesh.nodes[0]!.address
    const baseline = await statusLatency(address, undefined)
    emit({ variant: 'status-baseline', samples: SAMPLES, idleSockets: 0, ...baseline })
    const attacked = await withAttacker(tcpTarget(address), IDLE, async () => await statusLatency(address, undefined))
    emit({ variant: 'status-with-idle-sockets', samples: SAMPLES, idleSockets: IDLE, ...attacked, baselineP99: baseline.p99, targetP99Ms: 1000, met: attacked.p99 < 1000 && attacked.failures === 0 })
  } finally {
    await mesh.close()
  }
}

async function trafficRun (): Promise<void> {
  const mesh = new LocalMesh()
  try {
    const key = join(mesh.dir, 'mesh.key')
    if ((await runMeshflow(['keygen', '--out', key])).code !== 0) throw new Error('keygen failed')
    mesh.options = { psk: key }
    for (let i = 0; i < 3; i++) await mesh.add()
    await mesh.agreedLeader(30_000, 3)
    const t0 = performance.now()
    const child = spawn(process.execPath, [join(ROOT, 'test/cluster/fixtures/psk-traffic.ts'), '--psk', key, ...mesh.nodes.flatMap(n => ['--peer', n.address]), '--mb', '20', '--rounds', '3', '--connections', String(CONNECTIONS), '--rate', '40'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    const alive = mesh.nodes.filter(n => n.alive).length
    let statusOk = 0
    for (const n of mesh.nodes) {
      try {
        if ((await statusJson(n.address, { psk: key })).peers.length === 3) statusOk++
      } catch {}
    }
    const result = code === 0 ? JSON.parse(out.trim()) as Record<string, number> : { error: err.trim().split('\n').pop() }
    emit({ variant: 'psk-20mb-bursts-and-connections', ...result, clientExit: code, peersAlive: alive, statusAnswered: statusOk, ms: Math.round(performance.now() - t0), met: code === 0 && alive === 3 && statusOk === 3 })
  } finally {
    await mesh.close()
  }
}

await latencyRun()
await trafficRun()

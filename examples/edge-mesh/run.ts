/**
 * Starts a mesh of three peers on this machine — `cloud-1`, `cloud-2` and `edge-1`, the
 * last labelled `tier=edge` as the device the sensors are wired to — runs the edge-mesh
 * sensor job across them, shows where each task ran, prints some results and stops the
 * peers.
 *
 *   npx node examples/edge-mesh/run.ts [--count 5000]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { MeshClient } from '../../node/cluster/mesh-client.ts'

const bin = new URL('../../node/cli/bin.ts', import.meta.url).pathname
const job = new URL('./job.ts', import.meta.url).pathname
const countArg = process.argv.indexOf('--count')
const count = countArg > 0 ? process.argv[countArg + 1] ?? '5000' : '5000'
const root = mkdtempSync(join(tmpdir(), 'meshflow-edge-mesh-'))
const out = join(root, 'out')
const children: ChildProcess[] = []

interface Started { name: string, id: string, addr: string }

function startPeer (name: string, labels: string[], bootstrap?: string): Promise<Started> {
  const args = [bin, 'node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(root, name), '--no-mdns', '--slots', '2',
    ...labels.flatMap(l => ['--label', l]), ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.on('exit', code => { reject(new Error(`peer ${name} exited with ${code}`)) })
    createInterface({ input: child.stdout! }).on('line', line => {
      const m = /^listening (\S+\/p2p\/(\S+))$/.exec(line)
      if (m !== null) resolve({ name, addr: m[1]!, id: m[2]! })
    })
  })
}

try {
  const cloud1 = await startPeer('cloud-1', ['tier=cloud'])
  const cloud2 = await startPeer('cloud-2', ['tier=cloud'], cloud1.addr)
  const edge = await startPeer('edge-1', ['tier=edge'], cloud1.addr)
  const names = new Map([cloud1, cloud2, edge].map(p => [p.id, p.name]))
  const client = await MeshClient.connect({ mesh: cloud1.addr })
  for (let i = 0; ; i++) {
    const s = await client.status()
    if (s.leader !== null && s.peers.length === 3 && s.peers.every(p => p.role === 'leader' || p.role === 'follower')) {
      console.log(`mesh of 3 peers, JobManager: ${names.get(s.leader)}`)
      break
    }
    if (i > 100) throw new Error('The mesh did not form')
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const id = await client.submit(job, { name: 'edge-mesh', parallelism: 2, args: { out, count } })
  const result = await client.awaitJob(id)
  console.log(`job ${id}: ${result.state}${result.error === undefined ? '' : ` (${result.error})`}`)
  const info = (await client.jobs()).find(j => j.id === id)!
  console.log('\ntask                              subtask  peer')
  for (const t of info.tasks) console.log(`${t.vertex.padEnd(34)}${String(t.subtask).padEnd(9)}${names.get(t.peer) ?? t.peer}`)
  await client.close()
  for (const kind of ['alerts', 'averages', 'bursts']) {
    const dir = join(out, kind)
    const lines = readdirSync(dir).filter(f => !f.startsWith('.')).flatMap(f => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    console.log(`\n${kind}: ${lines.length} records, e.g.`)
    for (const l of lines.slice(0, 3)) console.log(`  ${l}`)
  }
} finally {
  for (const c of children) c.kill('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 500))
  rmSync(root, { recursive: true, force: true })
}

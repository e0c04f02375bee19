import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { LocalMesh, bounded, runMeshflow, statusJson } from './local-mesh.ts'
import { ROOT } from './node-process.ts'

const traffic = suite('private mesh traffic (processes)')

/** Runs a fixture script to its end in its own process; rejects with its stderr when it fails. */
export async function runFixture (script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, [join(ROOT, 'test/cluster/fixtures', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${script} exited ${code}: ${stderr.trim()}`)
  return stdout
}

traffic('a --psk mesh takes 20 MB bursts of block puts into every peer and 150 connections opened and closed, and every peer stays up', async () => {
  await bounded('psk traffic', 150_000, async () => {
    const mesh = new LocalMesh()
    try {
      const key = join(mesh.dir, 'mesh.key')
      assert.is((await runMeshflow(['keygen', '--out', key])).code, 0)
      mesh.options = { psk: key }
      for (let i = 0; i < 3; i++) await mesh.add()
      await mesh.agreedLeader(30_000, 3)

      const run = await runFixture('psk-traffic.ts', ['--psk', key, ...mesh.nodes.flatMap(n => ['--peer', n.address]), '--mb', '20', '--rounds', '3', '--connections', '150', '--rate', '30'], 130_000)
        .then(out => ({ out, err: undefined }), (err: Error) => ({ out: '', err }))
      // a peer that died is the finding; the client's failure would only be its echo
      for (const n of mesh.nodes) assert.ok(n.alive, `${n.name} is alive; stderr: ${n.stderr}`)
      if (run.err !== undefined) throw run.err
      const result = JSON.parse(run.out.trim()) as { puts: number, bytes: number, connections: number }
      assert.is(result.puts, 180)
      assert.is(result.connections, 150)

      for (const n of mesh.nodes) {
        const s = await statusJson(n.address, { psk: key })
        assert.is(s.peers.length, 3, `${n.name} sees the three peers`)
      }
      for (const n of mesh.nodes) assert.not.match(n.stderr, /RangeError|Maximum memory size/)
    } finally {
      await mesh.close()
    }
  })
})

traffic.run()

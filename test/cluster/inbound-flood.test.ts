import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { LocalMesh, bounded, statusJson } from './local-mesh.ts'
import { ROOT, waitFor } from './node-process.ts'

const flood = suite('inbound connection flood (processes)')

/** Starts the attacker fixture against `targets` and resolves once it has opened every socket. */
async function startAttacker (targets: readonly string[], idle: number, garbage: number): Promise<{ child: ChildProcess, stop: () => Promise<string> }> {
  const args = [join(ROOT, 'test/cluster/fixtures/socket-flood.ts'), ...targets.flatMap(t => ['--target', t]), '--idle', String(idle), '--garbage', String(garbage)]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
  const exited = new Promise<void>(resolve => child.on('close', () => { resolve() }))
  await waitFor('the attacker to open its sockets', () => out.includes('ready\n') || child.exitCode !== null, 30_000)
  assert.ok(out.includes('ready'), 'the attacker started')
  return {
    child,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
      return out
    }
  }
}

/** host:port of a peer's printed multiaddr. */
function tcpTarget (address: string): string {
  const parts = address.split('/')
  return `${parts[2]}:${parts[4]}`
}

for (const psk of [false, true]) {
  flood(`200 idle and 200 garbage sockets from one address stop neither status nor a joining peer${psk ? ' (--psk)' : ''}`, async () => {
    await bounded('inbound flood', 120_000, async () => {
      const mesh = new LocalMesh()
      let attacker: Awaited<ReturnType<typeof startAttacker>> | undefined
      try {
        let key: string | undefined
        if (psk) {
          key = join(mesh.dir, 'mesh.key')
          const { runMeshflow } = await import('./local-mesh.ts')
          assert.is((await runMeshflow(['keygen', '--out', key])).code, 0)
          mesh.options = { psk: key }
        }
        for (let i = 0; i < 3; i++) await mesh.add()
        await mesh.agreedLeader(30_000, 3)

        // from 127.0.0.2, all held against the first peer (the one a joining peer bootstraps to)
        attacker = await startAttacker([tcpTarget(mesh.nodes[0]!.address)], 200, 200)

        for (let i = 0; i < 3; i++) {
          const s = await statusJson(mesh.nodes[0]!.address, key === undefined ? {} : { psk: key })
          assert.is(s.peers.length, 3)
        }
        const joiner = await mesh.add()
        await joiner.waitFor('a leader', () => joiner.state.leader !== undefined, 60_000)
        const s = await statusJson(mesh.nodes[0]!.address, key === undefined ? {} : { psk: key })
        assert.ok(s.peers.some(p => p.id === joiner.id), 'the joining peer is a member')
        for (const n of mesh.nodes) assert.ok(n.alive, `${n.name} is alive; stderr: ${n.stderr}`)

        const counts = JSON.parse((await attacker.stop()).trim().split('\n').pop()!) as { opened: number, closedByPeer: number }
        attacker = undefined
        // the peer refused or timed out the attacker's connections (they were not left idle forever)
        assert.ok(counts.opened >= 400, JSON.stringify(counts))
        assert.ok(counts.closedByPeer > 0, JSON.stringify(counts))
      } finally {
        await attacker?.stop()
        await mesh.close()
      }
    })
  })
}

flood.run()

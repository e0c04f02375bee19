import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, startCli, type CliRun } from './spawn-cli.ts'

function lines (text: string): string[] {
  return text.split('\n').filter(l => l.length > 0)
}

/** The one stderr line of a failed command (asserts there is exactly one, without a stack). */
function oneErrorLine (stderr: string): string {
  const ls = lines(stderr)
  assert.is(ls.length, 1, `expected one line on stderr, got:\n${stderr}`)
  assert.not.match(stderr, /\n\s+at /, 'no stack trace')
  return ls[0]!
}

let dir = ''
const fresh = (): void => { dir = mkdtempSync(join(tmpdir(), 'meshflow-cli-')) }
const cleanup = (): void => { rmSync(dir, { recursive: true, force: true }) }

function addressOf (text: string): { address: string, id: string } {
  const m = /^listening (\S+\/p2p\/(\S+))$/m.exec(text)
  assert.ok(m, `no listening line in:\n${text}`)
  return { address: m[1]!, id: m[2]! }
}

const keygen = suite('meshflow keygen')
keygen.before.each(fresh)
keygen.after.each(cleanup)

keygen('prints a new swarm.key on stdout', async () => {
  const a = await runCli(['keygen'])
  const b = await runCli(['keygen'])
  assert.is(a.code, 0, a.stderr)
  assert.match(a.stdout, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
  assert.is.not(a.stdout, b.stdout)
})

keygen('--out writes the key with mode 0600 and refuses to overwrite a file', async () => {
  const file = join(dir, 'mesh.key')
  const r = await runCli(['keygen', '--out', file])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, '')
  assert.is(statSync(file).mode & 0o777, 0o600)
  const key = readFileSync(file, 'utf8')
  assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
  const again = await runCli(['keygen', '--out', file])
  assert.is(again.code, 1)
  assert.is(oneErrorLine(again.stderr), `meshflow: Refusing to overwrite ${file}: the file exists (remove it first, or choose another --out)`)
  assert.is(readFileSync(file, 'utf8'), key)
})

keygen.run()

const node = suite('meshflow node')
node.before.each(fresh)
node.after.each(cleanup)

node('prints its listen address with /p2p/<id> and its role, leads a mesh of one, and stops on SIGINT with exit 0', async () => {
  const run = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns'])
  try {
    await run.waitForStdout('role leader (JobManager) term ')
    run.child.kill('SIGINT')
    const r = await run.done
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stderr, '')
    const out = lines(r.stdout)
    assert.match(out[0]!, /^listening \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW\w+$/)
    assert.match(out[1]!, /^role learner \(TaskManager, non-voting\) term 0$/)
    assert.ok(out.some(l => /^role leader \(JobManager\) term \d+$/.test(l)), r.stdout)
    assert.is(out.at(-1), 'stopped')
  } finally {
    run.child.kill('SIGKILL')
  }
})

node('keeps its peer id in --data-dir, and uses ./meshflow-data by default', async () => {
  const first = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'], {}, dir)
  try {
    await first.waitForStdout('role ')
    first.child.kill('SIGTERM')
    const r1 = await first.done
    assert.is(r1.code, 0, r1.stderr)
    assert.ok(existsSync(join(dir, 'meshflow-data')))
    const second = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', 'meshflow-data'], {}, dir)
    await second.waitForStdout('role ')
    second.child.kill('SIGTERM')
    const r2 = await second.done
    assert.is(r2.code, 0, r2.stderr)
    assert.is(addressOf(r2.stdout).id, addressOf(r1.stdout).id)
  } finally {
    first.child.kill('SIGKILL')
  }
})

node('--api PORT serves GET /status on 127.0.0.1 with the status JSON', async () => {
  const port = await freePort()
  const run = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns', '--api', String(port), '--label', 'tier=edge'])
  try {
    await run.waitForStdout('role leader (JobManager)')
    const res = await fetch(`http://127.0.0.1:${port}/status`)
    assert.is(res.status, 200)
    const body = await res.json() as { leader: string, term: number, peers: { id: string, labels: Record<string, string>, role: string }[] }
    assert.equal(Object.keys(body), ['leader', 'term', 'peers', 'group', 'voters'])
    assert.is(body.peers.length, 1)
    assert.is(body.peers[0]!.id, body.leader)
    assert.equal(body.peers[0]!.labels, { tier: 'edge' })
    assert.is(body.peers[0]!.role, 'leader')
    assert.is((await fetch(`http://127.0.0.1:${port}/jobs`)).status, 404)
    assert.is((await fetch(`http://127.0.0.1:${port}/status`, { method: 'POST' })).status, 405)
    run.child.kill('SIGTERM')
    const r = await run.done
    assert.is(r.code, 0, r.stderr)
    assert.ok(r.stdout.includes(`\napi http://127.0.0.1:${port}/status\n`), r.stdout)
  } finally {
    run.child.kill('SIGKILL')
  }
})

node('a data directory in use by another node is one line on stderr and exit 1', async () => {
  const run = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns'])
  try {
    await run.waitForStdout('role ')
    const r = await runCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns'])
    assert.is(r.code, 1)
    assert.is(oneErrorLine(r.stderr), `meshflow: Cannot use the data directory ${join(dir, 'data')}: another process holds its lock (is a meshflow node already running with this --data-dir?)`)
    assert.is(r.stdout, '')
  } finally {
    run.child.kill('SIGKILL')
  }
})

/** A TCP port that was free a moment ago. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

node('a listen port in use, or an --api port in use, is one line on stderr and exit 1', async () => {
  const server = createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  try {
    const listen = await runCli(['node', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--data-dir', join(dir, 'a'), '--no-mdns'])
    assert.is(listen.code, 1)
    assert.is(oneErrorLine(listen.stderr), `meshflow: Cannot listen on /ip4/127.0.0.1/tcp/${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`)
    const api = await runCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'b'), '--no-mdns', '--api', String(port)])
    assert.is(api.code, 1)
    assert.is(oneErrorLine(api.stderr), `meshflow: Cannot serve --api on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`)
    assert.is(api.stdout, '')
  } finally {
    server.close()
  }
})

node('bad addresses and pre-shared key files are usage errors naming the flag', async () => {
  const bad = await runCli(['node', '--listen', '/ip4/300.0.0.1/tcp/0', '--data-dir', join(dir, 'a')])
  assert.is(bad.code, 2)
  assert.is(oneErrorLine(bad.stderr), "meshflow: --listen needs a multiaddr such as /ip4/127.0.0.1/tcp/7000, got '/ip4/300.0.0.1/tcp/0'")
  const boot = await runCli(['node', '--bootstrap', 'peer-one:7000', '--data-dir', join(dir, 'a')])
  assert.is(boot.code, 2)
  assert.is(oneErrorLine(boot.stderr), "meshflow: --bootstrap needs a multiaddr such as /ip4/127.0.0.1/tcp/7000, got 'peer-one:7000'")
  const noKey = await runCli(['node', '--psk', join(dir, 'none.key'), '--data-dir', join(dir, 'a')])
  assert.is(noKey.code, 2)
  assert.match(oneErrorLine(noKey.stderr), /^meshflow: --psk: Cannot read the pre-shared key file .*none\.key: ENOENT: no such file or directory/)
  writeFileSync(join(dir, 'bad.key'), 'not a key\n')
  const badKey = await runCli(['node', '--psk', join(dir, 'bad.key'), '--data-dir', join(dir, 'a')])
  assert.is(badKey.code, 2)
  assert.match(oneErrorLine(badKey.stderr), /^meshflow: --psk: Invalid pre-shared key in .*bad\.key: expected/)
  assert.not.ok(existsSync(join(dir, 'a')), 'nothing was created before the flags were checked')
})

node.run()

const status = suite('meshflow status')
status.before.each(fresh)
status.after.each(cleanup)

status('prints a table with the leader marked, or --json; MESHFLOW_MESH stands in for --mesh', async () => {
  const run = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns', '--slots', '3'])
  try {
    await run.waitForStdout('role leader (JobManager)')
    const { address, id } = addressOf(run.stdoutSoFar())
    const table = await runCli(['status', '--mesh', address.replace(/\/p2p\/.*$/, '')])
    assert.is(table.code, 0, table.stderr)
    assert.equal(lines(table.stdout).map(l => l.replace(/\s+/g, ' ')), [
      `leader ${id} term ${/term (\d+)/.exec(table.stdout)![1]!} peers 1`,
      ' PEER ROLE SLOTS LABELS ADDRESS',
      `* ${id} leader 3/3 free - ${address.replace(/\/p2p\/.*$/, '')}`
    ])
    const json = await runCli(['status', '--json'], { MESHFLOW_MESH: address })
    assert.is(json.code, 0, json.stderr)
    const s = JSON.parse(json.stdout) as { leader: string, term: number, group: string, peers: { scrub?: Record<string, unknown> }[] }
    // the answering peer's own entry also has its scrub counts
    const { scrub, ...self } = s.peers[0]!
    assert.match(s.group, new RegExp(`^${id}@\\d+$`), 'the group is named after its founder')
    assert.equal({ ...s, peers: [self] }, { leader: id, term: s.term, peers: [{ id, addrs: [address], labels: {}, slots: 3, freeSlots: 3, role: 'leader' }], group: s.group, voters: [id] })
    assert.equal(Object.keys(scrub ?? {}), ['scanned', 'corrupt', 'repaired', 'unrepairable', 'passes', 'lastPassAt'])
  } finally {
    run.child.kill('SIGKILL')
  }
})

status('without --mesh or MESHFLOW_MESH is a usage error; an unreachable peer is one line and exit 1', async () => {
  const none = await runCli(['status'])
  assert.is(none.code, 2)
  assert.is(oneErrorLine(none.stderr), "meshflow: 'status' needs --mesh MA (or MESHFLOW_MESH): the multiaddr of any peer of the mesh")
  const bad = await runCli(['status'], { MESHFLOW_MESH: 'localhost:7000' })
  assert.is(bad.code, 2)
  assert.is(oneErrorLine(bad.stderr), "meshflow: MESHFLOW_MESH needs a multiaddr such as /ip4/127.0.0.1/tcp/7000, got 'localhost:7000'")
  const port = await freePort()
  const down = await runCli(['status', '--mesh', `/ip4/127.0.0.1/tcp/${port}`])
  assert.is(down.code, 1)
  assert.is(oneErrorLine(down.stderr), `meshflow: Cannot reach the mesh at /ip4/127.0.0.1/tcp/${port}: connection refused (is a meshflow node listening there?)`)
  assert.is(down.stdout, '')
})

status.run()

// Attacks on a private mesh of `meshflow node` processes (issue 9), performed from another
// process that knows only the pre-shared key and one peer's address: raw log entries,
// reports and checkpoint acknowledgements in a TaskManager's name, checkpoint triggers in
// the leader's name, a poisoned Raft log left by an older version. The mesh stays up, the
// job's output stays exact, and the peers' logs name the offender.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPsk } from '../../node/mesh/psk.ts'
import { LocalMesh, bounded, runMeshflow } from './local-mesh.ts'
import { ROOT, waitFor, type NodeProcess } from './node-process.ts'
import { committedLines, expectedWindows } from './fixtures/checkpointed-output.ts'

const test = suite('attacks (processes)')
const JOB = 'test/cluster/fixtures/checkpointed-job.ts'

interface JobJson { id: string, state: string, restarts: number, error?: string, checkpoints?: { completed: number } }

/** Runs a fixture script to its end; resolves with its stdout lines. */
function fixture (name: string, args: readonly string[]): Promise<{ code: number | null, lines: string[], stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'test/cluster/fixtures', name), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  return new Promise(resolve => {
    child.on('close', code => { resolve({ code, lines: stdout.split('\n').filter(l => l.length > 0), stderr }) })
  })
}

async function jobOf (via: NodeProcess, id: string, psk: string): Promise<JobJson | undefined> {
  const out = await runMeshflow(['jobs', '--mesh', via.address, '--json', '--psk', psk])
  if (out.code !== 0) return undefined
  return (JSON.parse(out.stdout) as JobJson[]).find(j => j.id === id)
}

async function waitForJob (via: NodeProcess, id: string, psk: string, what: string, cond: (j: JobJson) => boolean, ms: number): Promise<JobJson> {
  let last: JobJson | undefined
  await waitFor(what, async () => {
    last = await jobOf(via, id, psk).catch(() => undefined)
    return last !== undefined && cond(last)
  }, ms)
  return last!
}

function withKey (): { dir: string, psk: string } {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-key-'))
  const psk = join(dir, 'mesh.key')
  writeFileSync(psk, createPsk(), { mode: 0o600 })
  return { dir, psk }
}

test('forged raw entries, reports, acknowledgements, triggers and submissions are refused and logged with the sender; the job is never restarted and its output is exact', async () => {
  const key = withKey()
  const mesh = await LocalMesh.start(3, { psk: key.psk })
  try {
    await bounded('attacks', 150_000, async () => {
      const leader = await mesh.agreedLeader(25_000, 3)
      const follower = mesh.nodes.find(n => n !== leader)!
      const out = join(mesh.dir, 'out')
      const count = 30_000
      const submit = await runMeshflow(['run', JOB, '--mesh', leader.address, '--psk', key.psk, '--parallelism', '3', '--detach', '--',
        '--out', out, '--count', String(count), '--rate', '3000', '--interval', '500'], { timeoutMs: 30_000 })
      assert.is(submit.code, 0, submit.stderr)
      const id = submit.stdout.trim()
      await waitForJob(leader, id, key.psk, 'a completed checkpoint', j => (j.checkpoints?.completed ?? 0) >= 1, 30_000)

      const attack = await fixture('attacker.ts', [follower.address, key.psk])
      assert.is(attack.code, 0, attack.stderr)
      const [who, ...results] = attack.lines.map(l => JSON.parse(l) as Record<string, string>)
      const attacker = who!.attacker!
      const victim = who!.victim!
      const answers = new Map(results.map(r => [r.attack!, r.answer!]))
      assert.is(answers.size, 12, attack.lines.join('\n'))
      // raw log entries are not even a message of the protocol any more
      assert.match(answers.get('raw submit-job entry')!, /^aborted: /, attack.lines.join('\n'))
      assert.match(answers.get('raw job-state entry')!, /^aborted: /, attack.lines.join('\n'))
      for (const n of [1, 2, 3]) assert.is(answers.get(`forged task report ${n}`), `error-response forbidden: Peer ${attacker} sent a task report in the name of peer ${victim}`)
      assert.is(answers.get('forged task report via a follower'), `error-response forbidden: Peer ${attacker} sent a task report in the name of peer ${victim}`)
      assert.is(answers.get('forged checkpoint ack'), `error-response forbidden: Peer ${attacker} sent a checkpoint acknowledgement in the name of peer ${victim}`)
      assert.is(answers.get('forged checkpoint decline'), `error-response forbidden: Peer ${attacker} sent a checkpoint decline in the name of peer ${victim}`)
      assert.match(answers.get('self-named report on a foreign subtask')!, new RegExp(`^error-response forbidden: Peer ${attacker} sent a task report for job ${id}, of whose attempt 0 it runs no subtask`), attack.lines.join('\n'))
      assert.match(answers.get('trigger in the leader\'s name')!, new RegExp(`^error-response forbidden: Rejected a command claiming to come from leader ${leader.id} .* that peer ${attacker} sent`), attack.lines.join('\n'))
      assert.match(answers.get('trigger of a made-up term')!, /^error-response forbidden: Rejected a command of .* in term \d+: this peer is in term/, attack.lines.join('\n'))
      assert.is(answers.get('submission naming another code holder'), `error-response forbidden: Peer ${attacker} submitted a job naming peer ${victim} as the holder of its code`)

      const done = await waitForJob(leader, id, key.psk, 'the job to finish', j => j.state === 'FINISHED' || j.state === 'FAILED', 90_000)
      assert.is(done.state, 'FINISHED', done.error)
      assert.is(done.restarts, 0, 'no forged report restarted the job')
      assert.equal(committedLines(out), expectedWindows(count), 'committed output equals the expected output exactly')
      assert.ok(mesh.nodes.every(n => n.alive), mesh.nodes.map(n => `${n.name}: ${n.stderr}`).join('\n'))
      // the peers that refused them say so, naming the attacker
      const logs = mesh.nodes.map(n => n.stderr).join('\n')
      assert.match(logs, new RegExp(`refused task-report: Peer ${attacker} sent a task report in the name of peer ${victim}`))
      assert.match(logs, new RegExp(`refused a checkpoint trigger for job ${id} from ${attacker}`))
      assert.match(logs, new RegExp(`/meshflow/client/1 stream \\S+ from ${attacker}: aborting on malformed input - MalformedMessageError: Malformed client message: field 'command' is not a field of this message`))
    })
  } finally {
    await mesh.close()
    rmSync(key.dir, { recursive: true, force: true })
  }
})

test('a mesh whose Raft logs hold poison pills written by an older version starts, skips them on every peer, and runs a job', async () => {
  const key = withKey()
  const mesh = await LocalMesh.start(3, { psk: key.psk })
  try {
    await bounded('poisoned log', 150_000, async () => {
      const leader = await mesh.agreedLeader(25_000, 3)
      const mark = await runMeshflow(['status', '--mesh', leader.address, '--psk', key.psk])
      assert.is(mark.code, 0, mark.stderr)
      // followers first, so the leader appends nothing after they stopped
      for (const n of [...mesh.nodes.filter(n => n !== leader), leader]) {
        const stopped = await n.stop()
        assert.is(stopped.code, 0, n.stderr)
      }
      for (const n of mesh.nodes) {
        const poisoned = await fixture('poison-log.ts', [n.options.dataDir])
        assert.is(poisoned.code, 0, poisoned.stderr)
      }
      for (const n of [...mesh.nodes]) await mesh.restart(n)
      const again = await mesh.agreedLeader(30_000, 3)
      await waitFor('every peer to skip the poisoned entries', () => mesh.nodes.every(n => /skipped log entry \d+ \(term \d+\): Malformed log message/.test(n.stderr)), 30_000)
      const out = join(mesh.dir, 'out')
      const count = 5_000
      const run = await runMeshflow(['run', JOB, '--mesh', again.address, '--psk', key.psk, '--parallelism', '2', '--',
        '--out', out, '--count', String(count), '--rate', '5000', '--interval', '500'], { timeoutMs: 60_000 })
      assert.is(run.code, 0, run.stderr)
      assert.equal(committedLines(out), expectedWindows(count))
      assert.ok(mesh.nodes.every(n => n.alive), mesh.nodes.map(n => `${n.name}: ${n.stderr}`).join('\n'))
    })
  } finally {
    await mesh.close()
    rmSync(key.dir, { recursive: true, force: true })
  }
})

test.run()

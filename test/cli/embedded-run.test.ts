/**
 * `meshflow run` without `--mesh` runs on an embedded mesh of one, with its store in
 * `--data-dir`: a run killed with SIGKILL continues with `--resume` from its latest
 * retained checkpoint, a run started with `--listen` takes CLI savepoints, and
 * `--from-savepoint` restores one — each checked by the exactly-once output of a keyed
 * running count (every update once: nothing lost, nothing twice).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { runCli, startCli, type CliRun } from './spawn-cli.ts'

const JOB = 'test/cli/fixtures/counted.ts'
const KEYS = 5

const embedded = suite('meshflow run (embedded)')

let dir = ''
embedded.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-embedded-')) })
embedded.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

/** The committed records of the file sink in `out` (dot-files are in progress). */
function committed (out: string): { key: number, n: number }[] {
  let files: string[]
  try {
    files = readdirSync(out).filter(f => !f.startsWith('.'))
  } catch {
    return []
  }
  return files.flatMap(f => readFileSync(join(out, f), 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as { key: number, n: number }))
}

/** Asserts that `records` are exactly the running counts of `count` inputs over KEYS keys, each once. */
function assertExactlyOnce (records: { key: number, n: number }[], count: number): void {
  const seen = new Set<string>()
  for (const r of records) {
    const id = `${r.key}/${r.n}`
    assert.not.ok(seen.has(id), `update ${id} written twice`)
    seen.add(id)
  }
  for (let k = 0; k < KEYS; k++) {
    const updates = Math.floor(count / KEYS) + (k < count % KEYS ? 1 : 0)
    for (let n = 1; n <= updates; n++) assert.ok(seen.has(`${k}/${n}`), `update ${k}/${n} lost`)
  }
  assert.is(records.length, count)
}

async function waitFor (what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A TCP port free on 127.0.0.1 a moment ago. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => { server.close(resolve) })
  return port
}

/** The stderr of a running CLI process so far. */
function stderrOf (run: CliRun): string {
  return run.stderrSoFar()
}

embedded('a run killed with SIGKILL continues with --resume from its latest checkpoint, exactly once', async () => {
  const out = join(dir, 'out')
  const data = join(dir, 'data')
  const count = 4000
  // 8 s of input: killed midway even on a loaded machine
  const args = ['run', JOB, '--', '--count', String(count), '--rate', '500', '--out', out]
  const first = startCli(args, { MESHFLOW_DATA_DIR: data })
  // a checkpoint completed once the sink committed part files
  await waitFor('a committed part file', () => committed(out).length > 0)
  first.child.kill('SIGKILL')
  const killed = await first.done
  assert.is(killed.signal, 'SIGKILL')
  assert.ok(committed(out).length < count, 'killed before the end')

  // the rate is no part of the state: the rest goes fast
  const resumed = await runCli(['run', JOB, '--resume', '--', '--count', String(count), '--rate', '5000', '--out', out], { MESHFLOW_DATA_DIR: data })
  assert.is(resumed.code, 0, resumed.stderr)
  assert.match(resumed.stderr, /^meshflow: Job 'counted' \([0-9a-f-]+\) resumes from checkpoint \d+\n/)
  assert.match(resumed.stderr, /meshflow: Job 'counted' finished in \d+ ms/)
  assertExactlyOnce(committed(out), count)
})

embedded('a run without --resume in a data dir with an interrupted run starts over and says so', async () => {
  const out = join(dir, 'out')
  const data = join(dir, 'data')
  const first = startCli(['run', JOB, '--', '--count', '100000', '--rate', '1000', '--out', out], { MESHFLOW_DATA_DIR: data })
  await waitFor('a committed part file', () => committed(out).length > 0)
  first.child.kill('SIGKILL')
  await first.done
  const again = await runCli(['run', JOB, '--', '--count', '50', '--out', join(dir, 'out2')], { MESHFLOW_DATA_DIR: data })
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, /meshflow: Job 'counted' \([0-9a-f-]+\) of an earlier run in .* was interrupted; not resumed \(resume it with --resume\)\n/)
  assertExactlyOnce(committed(join(dir, 'out2')), 50)
})

embedded('--resume with nothing to resume fails in one line naming the job and the data dir', async () => {
  const r = await runCli(['run', JOB, '--resume', '--', '--count', '10', '--out', join(dir, 'out')], { MESHFLOW_DATA_DIR: join(dir, 'data') })
  assert.is(r.code, 1)
  assert.is(r.stderr, `meshflow: Nothing to resume: no interrupted run of job 'counted' in ${join(dir, 'data')}\n`)
})

embedded('a run with --listen takes a savepoint from meshflow stop, and --from-savepoint continues it, exactly once', async () => {
  const out = join(dir, 'out')
  const data = join(dir, 'data')
  const count = 3000
  // 15 s of input: stopped midway even on a loaded machine
  const jobArgs = ['--', '--count', String(count), '--rate', '200', '--out', out]
  const first = startCli(['run', JOB, '--listen', '/ip4/127.0.0.1/tcp/0', ...jobArgs], { MESHFLOW_DATA_DIR: data })
  await waitFor('the job id', () => /running as [0-9a-f-]+/.test(stderrOf(first)))
  const address = /meshflow: listening (\S+)/.exec(stderrOf(first))![1]!
  const jobId = /running as ([0-9a-f-]+)/.exec(stderrOf(first))![1]!
  await waitFor('a committed part file', () => committed(out).length > 0)
  const stop = await runCli(['stop', jobId, '--savepoint', 'half', '--mesh', address])
  assert.is(stop.code, 0, stop.stderr)
  const ended = await first.done
  assert.is(ended.code, 0, ended.stderr)
  assert.ok(committed(out).length < count, 'stopped before the end')

  const unknown = await runCli(['run', JOB, '--from-savepoint', 'nope', ...jobArgs], { MESHFLOW_DATA_DIR: data })
  assert.is(unknown.code, 1)
  assert.match(unknown.stderr, /^meshflow: .*No savepoint named 'nope'\n$/)

  // the rate is no part of the state: the rest goes fast
  const second = await runCli(['run', JOB, '--from-savepoint', 'half', '--', '--count', String(count), '--rate', '5000', '--out', out], { MESHFLOW_DATA_DIR: data })
  assert.is(second.code, 0, second.stderr)
  assertExactlyOnce(committed(out), count)
})

embedded('--psk guards the listener of an embedded run (a client without the key gets nothing, one with it cancels the job), --api serves its status', async () => {
  const key = join(dir, 'mesh.key')
  const keygen = await runCli(['keygen', '--out', key])
  assert.is(keygen.code, 0, keygen.stderr)
  const port = await freePort()
  const run = startCli(['run', JOB, '--listen', '/ip4/127.0.0.1/tcp/0', '--psk', key, '--api', String(port), '--', '--count', '1000000', '--rate', '100', '--out', join(dir, 'out')],
    { MESHFLOW_DATA_DIR: join(dir, 'data') })
  await waitFor('the job id', () => /running as [0-9a-f-]+/.test(stderrOf(run)))
  // --api serves the embedded peer's status on 127.0.0.1
  assert.match(stderrOf(run), new RegExp(`meshflow: api http://127\\.0\\.0\\.1:${port}/status\\n`))
  const status = await (await fetch(`http://127.0.0.1:${port}/status`)).json() as { leader: string, peers: { id: string, role: string }[] }
  assert.is(status.peers.length, 1)
  assert.equal([status.peers[0]!.id, status.peers[0]!.role], [status.leader, 'leader'])
  const address = /meshflow: listening (\S+)/.exec(stderrOf(run))![1]!
  const jobId = /running as ([0-9a-f-]+)/.exec(stderrOf(run))![1]!
  const stranger = await runCli(['jobs', '--mesh', address, '--json'])
  assert.is(stranger.code, 1, 'a client without the key is refused')
  assert.is(stranger.stdout, '')
  const cancel = await runCli(['cancel', jobId, '--mesh', address, '--psk', key])
  assert.is(cancel.code, 0, cancel.stderr)
  const ended = await run.done
  assert.is(ended.code, 1)
  assert.match(ended.stderr, /meshflow: Job 'counted' was cancelled\n$/)
})

embedded('--threads sets the task threads: 0 runs the job on the main thread, 2 on two worker threads; --mesh refuses it', async () => {
  const job = 'test/node/runtime/threads/fixtures/threads-job.ts'
  const threadsOf = async (threads: string): Promise<Set<unknown>> => {
    const out = join(dir, `out-${threads}`)
    const r = await runCli(['run', job, '--threads', threads, '-p', '2', '--', '--mode', 'windows', '--count', '2000', '--out', out], { MESHFLOW_DATA_DIR: join(dir, `data-${threads}`) })
    assert.is(r.code, 0, r.stderr)
    return new Set(readdirSync(out).filter(f => !f.startsWith('.'))
      .flatMap(f => readFileSync(join(out, f), 'utf8').split('\n').filter(l => l.length > 0).map(l => (JSON.parse(l) as { thread: unknown }).thread)))
  }
  assert.equal([...await threadsOf('0')], [0])
  const two = await threadsOf('2')
  assert.is(two.size, 2)
  assert.not.ok(two.has(0))
  const refused = await runCli(['run', job, '--threads', '2', '--mesh', '/ip4/127.0.0.1/tcp/1'])
  assert.is(refused.code, 2)
  assert.match(refused.stderr, /--threads is for an embedded run/)
})

embedded.run()

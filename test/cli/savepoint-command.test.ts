/**
 * The savepoint commands of the CLI (`savepoint`, `stop --savepoint`, `savepoint --delete`,
 * `savepoints`, `run --from-savepoint`, and checkpoints in `jobs`) run as real processes:
 * first against a stand-in peer — a libp2p host that serves `/meshflow/client/1`, answers
 * from a script and records the requests it got — to pin down the wire requests and the
 * output exactly; then against a real `meshflow node` running a checkpointing job.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { CLIENT_CODEC } from '../../protocol/codec.ts'
import { createMessageHandler } from '../../protocol/message-handler.ts'
import type { ClientMessage, ClientRequest, JobInfo, SavepointInfo } from '../../protocol/client.ts'
import { createMeshHost, type MeshLibp2p } from '../../node/mesh/mesh-host.ts'
import { CONTROL_STREAM_LIMITS } from '../../node/mesh/constants.ts'
import { runCli, startCli } from './spawn-cli.ts'

const CID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
const JOB = '7c0e5d1e-3b7a-4b8e-9d61-0f3f1b2a9c44'
const T0 = Date.UTC(2026, 10, 24, 9, 8, 48)

const SAVEPOINTS: SavepointInfo[] = [
  { name: 'v1-final', jobId: JOB, jobName: 'retail-sales', checkpointId: 44, cid: CID, createdAt: T0 + 14_000 },
  { name: 'before-v2', jobId: JOB, jobName: 'retail-sales', checkpointId: 43, cid: CID, createdAt: T0 }
]
const JOBS: JobInfo[] = [{
  id: JOB, name: 'retail-sales', state: 'RUNNING', restarts: 1, tasks: [{ vertex: 'sales', subtask: 0, peer: 'A' }],
  checkpoints: { completed: 40, latest: { id: 42, cid: CID, at: T0 } },
  restoreHistory: [{ attempt: 1, checkpointId: 17, at: T0 - 1000 }]
}]

/** What the stand-in answers; every request is kept in `requests`. */
function answer (m: ClientRequest): ClientMessage {
  switch (m.type) {
    case 'trigger-savepoint':
      if (m.jobId !== JOB) return { type: 'error-response', id: m.id, code: 'not-found', message: `No job with id ${m.jobId}`, retriable: false }
      if (m.name === 'taken') return { type: 'error-response', id: m.id, code: 'bad-request', message: "A savepoint named 'taken' exists already; delete it first (meshflow savepoint --delete taken)", retriable: false }
      return { type: 'savepoint-response', id: m.id, jobId: m.jobId, name: m.name, checkpointId: 43, cid: CID }
    case 'savepoints-request':
      return { type: 'savepoints-response', id: m.id, savepoints: SAVEPOINTS }
    case 'delete-savepoint':
      if (m.name === 'gone') return { type: 'error-response', id: m.id, code: 'not-found', message: "No savepoint named 'gone'", retriable: false }
      return { type: 'delete-savepoint-response', id: m.id, name: m.name }
    case 'jobs-request':
      return { type: 'jobs-response', id: m.id, jobs: JOBS }
    default:
      return { type: 'error-response', id: m.id, code: 'unsupported', message: `Not scripted: ${m.type}`, retriable: false }
  }
}

let host: MeshLibp2p | undefined
let address = ''
const requests: ClientRequest[] = []

const commands = suite('meshflow savepoint commands')

commands.before(async () => {
  host = await createMeshHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, privateKey: await generateKeyPair('Ed25519') })
  await host.handle(CLIENT_CODEC.protocol, createMessageHandler(CLIENT_CODEC, async (message, ctx) => {
    if (!('id' in message)) return
    requests.push(message as ClientRequest)
    await ctx.send(answer(message as ClientRequest))
  }), { ...CONTROL_STREAM_LIMITS })
  address = host.getMultiaddrs()[0]!.toString()
})

commands.after(async () => { await host?.stop() })
commands.before.each(() => { requests.length = 0 })

/** The requests the stand-in got, without their ids. */
function sent (): unknown[] {
  return requests.map(({ id: _id, ...rest }) => rest)
}

commands('savepoint JOB_ID NAME prints the checkpoint and CID of the savepoint', async () => {
  const r = await runCli(['savepoint', JOB, 'before-v2', '--mesh', address])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, `savepoint before-v2 of job ${JOB}: checkpoint 43, cid ${CID}\n`)
  assert.is(r.stderr, '')
  assert.equal(sent(), [{ type: 'trigger-savepoint', jobId: JOB, name: 'before-v2' }])
})

commands('stop --savepoint NAME [--drain] asks for a stopping savepoint and says the job stopped', async () => {
  const r = await runCli(['stop', JOB, '--savepoint', 'v1-final'], { MESHFLOW_MESH: address })
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, `savepoint v1-final of job ${JOB}: checkpoint 43, cid ${CID}\njob ${JOB} stopped\n`)
  const drained = await runCli(['stop', JOB, '--savepoint', 'v1-drained', '--drain', '--mesh', address])
  assert.is(drained.code, 0, drained.stderr)
  assert.is(drained.stdout.split('\n')[1], `job ${JOB} stopped (drained)`)
  assert.equal(sent(), [
    { type: 'trigger-savepoint', jobId: JOB, name: 'v1-final', stop: 'no-drain' },
    { type: 'trigger-savepoint', jobId: JOB, name: 'v1-drained', stop: 'drain' }
  ])
})

commands('a savepoint the JobManager refuses is one line on stderr and exit 1', async () => {
  const unknown = await runCli(['savepoint', 'nope', 'sp', '--mesh', address])
  assert.is(unknown.code, 1)
  assert.is(unknown.stderr, 'meshflow: No job with id nope\n')
  assert.is(unknown.stdout, '')
  const taken = await runCli(['stop', JOB, '--savepoint', 'taken', '--mesh', address])
  assert.is(taken.code, 1)
  assert.is(taken.stderr, "meshflow: A savepoint named 'taken' exists already; delete it first (meshflow savepoint --delete taken)\n")
})

commands('savepoint --delete NAME deletes it, or says there is no such savepoint', async () => {
  const r = await runCli(['savepoint', '--delete', 'before-v2', '--mesh', address])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout, 'deleted savepoint before-v2\n')
  const gone = await runCli(['savepoint', '--delete', 'gone', '--mesh', address])
  assert.is(gone.code, 1)
  assert.is(gone.stderr, "meshflow: No savepoint named 'gone'\n")
  assert.equal(sent(), [{ type: 'delete-savepoint', name: 'before-v2' }, { type: 'delete-savepoint', name: 'gone' }])
})

commands('savepoints prints a table oldest first, or --json', async () => {
  const table = await runCli(['savepoints', '--mesh', address])
  assert.is(table.code, 0, table.stderr)
  assert.equal(table.stdout.split('\n'), [
    'NAME       JOB                                   JOB NAME      CHECKPOINT  CREATED',
    `before-v2  ${JOB}  retail-sales  43          2026-11-24 09:08:48 UTC`,
    `v1-final   ${JOB}  retail-sales  44          2026-11-24 09:09:02 UTC`,
    ''
  ])
  const json = await runCli(['savepoints', '--json', '--mesh', address])
  assert.is(json.code, 0, json.stderr)
  assert.equal(JSON.parse(json.stdout), SAVEPOINTS)
})

commands('jobs shows the latest checkpoint and the checkpoint each restart used; --json has them too', async () => {
  const table = await runCli(['jobs', '--mesh', address])
  assert.is(table.code, 0, table.stderr)
  assert.equal(table.stdout.split('\n'), [
    'ID                                    NAME          STATE    RESTARTS  TASKS           CHECKPOINT',
    `${JOB}  retail-sales  RUNNING  1         1 on 1 peer(s)  42 (40 done)`,
    `${JOB} attempts: 1 from checkpoint 17`,
    ''
  ])
  const json = await runCli(['jobs', '--json', '--mesh', address])
  assert.equal(JSON.parse(json.stdout), JOBS)
})

commands.run()

const live = suite('meshflow savepoint commands on a meshflow node')

/** `jobs --json` of the node at `mesh`. */
async function jobsOf (mesh: string): Promise<JobInfo[]> {
  const r = await runCli(['jobs', '--json', '--mesh', mesh])
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as JobInfo[]
}

/** Polls `jobs --json` until `job` satisfies `ok`. */
async function waitForJob (mesh: string, jobId: string, ok: (j: JobInfo) => boolean, what: string): Promise<JobInfo> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const job = (await jobsOf(mesh)).find(j => j.id === jobId)
    if (job !== undefined && ok(job)) return job
    if (Date.now() > deadline) throw new Error(`Job ${jobId} did not ${what}: ${JSON.stringify(job)}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

live('savepoint, stop --savepoint, run --from-savepoint at another parallelism, savepoints and --delete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-savepoint-'))
  const node = startCli(['node', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', join(dir, 'data'), '--no-mdns', '--slots', '4'])
  try {
    await node.waitForStdout('role leader (JobManager)')
    const mesh = /^listening (\S+)$/m.exec(node.stdoutSoFar())![1]!
    const run = await runCli(['run', 'test/cli/fixtures/checkpointed.ts', '--mesh', mesh, '--detach', '-p', '2'])
    assert.is(run.code, 0, run.stderr)
    const jobId = run.stdout.trim()
    await waitForJob(mesh, jobId, j => (j.checkpoints?.completed ?? 0) >= 1, 'complete a checkpoint')

    const taken = await runCli(['savepoint', jobId, 'before-v2', '--mesh', mesh])
    assert.is(taken.code, 0, taken.stderr)
    const m = /^savepoint before-v2 of job (\S+): checkpoint (\d+), cid (bafkrei\w+)\n$/.exec(taken.stdout)
    assert.ok(m, taken.stdout)
    assert.is(m[1], jobId)
    const again = await runCli(['savepoint', jobId, 'before-v2', '--mesh', mesh])
    assert.is(again.code, 1)
    assert.match(again.stderr, /^meshflow: .*before-v2.* exists already.*\n$/)

    const stopped = await runCli(['stop', jobId, '--savepoint', 'v1-final', '--mesh', mesh])
    assert.is(stopped.code, 0, stopped.stderr)
    assert.match(stopped.stdout, new RegExp(`^savepoint v1-final of job ${jobId}: checkpoint \\d+, cid bafkrei\\w+\njob ${jobId} stopped\n$`))
    await waitForJob(mesh, jobId, j => j.state === 'FINISHED', 'finish after stop')

    const list = await runCli(['savepoints', '--json', '--mesh', mesh])
    assert.is(list.code, 0, list.stderr)
    const savepoints = JSON.parse(list.stdout) as SavepointInfo[]
    assert.equal(savepoints.map(s => [s.name, s.jobId, s.jobName]), [['before-v2', jobId, 'checkpointed'], ['v1-final', jobId, 'checkpointed']])
    assert.ok(savepoints[1]!.checkpointId > savepoints[0]!.checkpointId)

    const resumed = await runCli(['run', 'test/cli/fixtures/checkpointed.ts', '--mesh', mesh, '--detach', '-p', '1', '--from-savepoint', 'v1-final'])
    assert.is(resumed.code, 0, resumed.stderr)
    const resumedId = resumed.stdout.trim()
    const job = await waitForJob(mesh, resumedId, j => j.state === 'RUNNING' && j.checkpoints?.latest !== undefined, 'checkpoint after the restore')
    // checkpoint ids go on from the savepoint's
    assert.ok(job.checkpoints!.latest!.id > savepoints[1]!.checkpointId, JSON.stringify(job))
    assert.is((await runCli(['cancel', resumedId, '--mesh', mesh])).code, 0)

    const unknown = await runCli(['run', 'test/cli/fixtures/checkpointed.ts', '--mesh', mesh, '--detach', '--from-savepoint', 'nope'])
    assert.is(unknown.code, 1)
    assert.is(unknown.stderr, "meshflow: No savepoint named 'nope'\n")

    const deleted = await runCli(['savepoint', '--delete', 'before-v2', '--mesh', mesh])
    assert.is(deleted.code, 0, deleted.stderr)
    assert.is(deleted.stdout, 'deleted savepoint before-v2\n')
    const left = await runCli(['savepoints', '--mesh', mesh])
    assert.match(left.stdout, /^NAME +JOB +JOB NAME +CHECKPOINT +CREATED\nv1-final +\S+ +checkpointed +\d+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n$/)
  } finally {
    node.child.kill('SIGKILL')
    await node.done
    rmSync(dir, { recursive: true, force: true })
  }
})

live.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatJobs, restoreLine } from '../../node/cli/format-jobs.ts'
import { formatSavepoints, utcTime } from '../../node/cli/savepoints-command.ts'
import type { JobInfo, SavepointInfo } from '../../protocol/client.ts'

const CID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
const T0 = Date.UTC(2026, 10, 24, 9, 8, 48, 123)

const running: JobInfo = {
  id: 'job-1', name: 'sensor-job', state: 'RUNNING', restarts: 2,
  tasks: [{ vertex: 'source', subtask: 0, peer: 'A' }, { vertex: 'sink', subtask: 0, peer: 'B' }],
  checkpoints: { completed: 7, latest: { id: 9, cid: CID, at: T0 } },
  restoreHistory: [{ attempt: 0, checkpointId: null, at: T0 }, { attempt: 1, checkpointId: 4, at: T0 + 1 }, { attempt: 2, checkpointId: null, at: T0 + 2 }]
}
const plain: JobInfo = { id: 'job-2', name: 'word count', state: 'FAILED', restarts: 0, tasks: [], error: 'Operator boom\n  at x', checkpoints: { completed: 0 }, restoreHistory: [{ attempt: 0, checkpointId: null, at: T0 }] }
const old: JobInfo = { id: 'job-3', name: 'old', state: 'FINISHED', restarts: 0, tasks: [] }

const jobs = suite('formatJobs')

jobs('prints a table with the latest checkpoint, a line of restored attempts per restarted job, and errors', () => {
  assert.equal(formatJobs([running, plain, old], false).split('\n'), [
    'ID     NAME        STATE     RESTARTS  TASKS           CHECKPOINT',
    'job-1  sensor-job  RUNNING   2         2 on 2 peer(s)  9 (7 done)',
    'job-2  word count  FAILED    0         0 on 0 peer(s)  -',
    'job-3  old         FINISHED  0         0 on 0 peer(s)  -',
    'job-1 attempts: 0 from no checkpoint, 1 from checkpoint 4, 2 from no checkpoint',
    'job-2: Operator boom',
    ''
  ])
  assert.is(formatJobs([], false), 'no jobs\n')
})

jobs('--json keeps the DESIGN §7 fields first and adds error, checkpoints and restoreHistory when present', () => {
  const list = JSON.parse(formatJobs([running, plain, old], true)) as Record<string, unknown>[]
  assert.equal(Object.keys(list[0]!), ['id', 'name', 'state', 'restarts', 'tasks', 'checkpoints', 'restoreHistory'])
  assert.equal(list[0]!.checkpoints, { completed: 7, latest: { id: 9, cid: CID, at: T0 } })
  assert.equal(list[0]!.restoreHistory, running.restoreHistory)
  assert.equal(Object.keys(list[1]!), ['id', 'name', 'state', 'restarts', 'tasks', 'error', 'checkpoints', 'restoreHistory'])
  assert.equal(list[1]!.checkpoints, { completed: 0 })
  assert.equal(Object.keys(list[2]!), ['id', 'name', 'state', 'restarts', 'tasks'])
})

jobs('shows the partitions a scan task reads and whether it was placed on a replica, in the JSON and the table', () => {
  const scan: JobInfo = {
    id: 'job-4', name: 'scan', state: 'FINISHED', restarts: 0,
    tasks: [{ vertex: 'dataset-a', subtask: 0, peer: 'A', partitions: [0, 2], local: true }, { vertex: 'dataset-a', subtask: 1, peer: 'B', partitions: [1], local: false }, { vertex: 'sink', subtask: 0, peer: 'A' }]
  }
  const [json] = JSON.parse(formatJobs([scan], true)) as { tasks: unknown[] }[]
  assert.equal(json!.tasks, [
    { vertex: 'dataset-a', subtask: 0, peer: 'A', partitions: [0, 2], local: true },
    { vertex: 'dataset-a', subtask: 1, peer: 'B', partitions: [1], local: false },
    { vertex: 'sink', subtask: 0, peer: 'A' }
  ])
  assert.match(formatJobs([scan], false), /3 on 2 peer\(s\), scans 1\/2 local/)
})

jobs('restoreLine shows a savepoint start and only the latest attempts', () => {
  assert.is(restoreLine('j', [{ attempt: 0, checkpointId: null, at: 0 }]), undefined)
  assert.is(restoreLine('j', []), undefined)
  assert.is(restoreLine('j', [{ attempt: 0, checkpointId: 12, at: 0 }]), 'j attempts: 0 from checkpoint 12')
  const many = Array.from({ length: 8 }, (_, i) => ({ attempt: i, checkpointId: i === 0 ? null : i * 10, at: 0 }))
  assert.is(restoreLine('j', many), 'j attempts: (3 earlier) 3 from checkpoint 30, 4 from checkpoint 40, 5 from checkpoint 50, 6 from checkpoint 60, 7 from checkpoint 70')
})

jobs.run()

const savepoints = suite('formatSavepoints')
const a: SavepointInfo = { name: 'nightly', jobId: 'job-2', jobName: 'word count', checkpointId: 40, cid: CID, createdAt: T0 + 60_000 }
const b: SavepointInfo = { name: 'before-v2', jobId: 'job-1', jobName: 'sensor-job', checkpointId: 12, cid: CID, createdAt: T0 }

savepoints('prints a table oldest first with UTC times, or no savepoints', () => {
  assert.equal(formatSavepoints([a, b], false).split('\n'), [
    'NAME       JOB    JOB NAME    CHECKPOINT  CREATED',
    'before-v2  job-1  sensor-job  12          2026-11-24 09:08:48 UTC',
    'nightly    job-2  word count  40          2026-11-24 09:09:48 UTC',
    ''
  ])
  assert.is(formatSavepoints([], false), 'no savepoints\n')
})

savepoints('--json prints the savepoints as the mesh lists them, createdAt in epoch ms', () => {
  const list = JSON.parse(formatSavepoints([a, b], true)) as Record<string, unknown>[]
  assert.equal(list, [a, b])
  assert.equal(Object.keys(list[0]!), ['name', 'jobId', 'jobName', 'checkpointId', 'cid', 'createdAt'])
  assert.is(formatSavepoints([], true), '[]\n')
})

savepoints('utcTime prints epoch ms in UTC to the second', () => {
  assert.is(utcTime(0), '1970-01-01 00:00:00 UTC')
  assert.is(utcTime(T0), '2026-11-24 09:08:48 UTC')
})

savepoints.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeClientMessage, decodeClientMessage, encodeCbor, CLIENT_CODEC } from '../../protocol/codec.ts'
import type {
  CheckpointAck, CheckpointDecline, ClientMessage, JobsResponse, SavepointsResponse, StatusResponse, SubmitJobRequest, TaskReport, TriggerSavepointRequest
} from '../../protocol/client.ts'
import { errorText, savepointNameProblem } from '../../protocol/client-fields.ts'
import { JOB_STATES } from '../../protocol/client.ts'
import { clientMessageArb, rejects } from './arbitraries.ts'

const status: StatusResponse = {
  type: 'status-response',
  id: 7,
  leader: '12D3KooWLead',
  term: 4,
  peers: [
    { id: '12D3KooWLead', addrs: ['/ip4/127.0.0.1/tcp/7000/p2p/12D3KooWLead'], labels: {}, slots: 2, freeSlots: 2, role: 'leader' },
    { id: '12D3KooWEdge', addrs: [], labels: { tier: 'edge' }, slots: 1, freeSlots: 0, role: 'lost' }
  ]
}

const CID = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'

const submit: SubmitJobRequest = {
  type: 'submit-job', id: 8, name: 'sensor-job', codeCid: CID, args: { input: 'sensors.csv', 'window-ms': '1000' }, parallelism: 4, maxParallelism: 128, submitter: '12D3KooWEdge'
}

const jobs: JobsResponse = {
  type: 'jobs-response',
  id: 9,
  jobs: [
    { id: 'job-1', name: 'sensor-job', state: 'RUNNING', restarts: 0, tasks: [{ vertex: 'source-1', subtask: 0, peer: '12D3KooWEdge', partitions: [0, 3], local: true }, { vertex: 'sink', subtask: 1, peer: '12D3KooWLead' }] },
    { id: 'job-2', name: 'word count', state: 'FAILED', restarts: 3, tasks: [], error: 'Job code failed to load:\n\tSyntaxError: Unexpected token' }
  ]
}

const report: TaskReport = { type: 'task-report', id: 10, jobId: 'job-1', attempt: 2, peer: '12D3KooWEdge', state: 'FAILED', error: 'boom' }

const roundTrip = suite('decodeClientMessage round trip')

roundTrip('decodes every message type as encoded', () => {
  const messages: ClientMessage[] = [
    { type: 'status-request', id: 1 },
    status,
    { ...status, leader: null, peers: [] },
    { type: 'mark-request', id: 2, text: 'health check 7' },
    { type: 'mark-response', id: 2, index: 12, term: 4 },
    { type: 'error-response', id: 3, code: 'no-leader', message: 'No leader is known yet', retriable: true },
    { type: 'leader-redirect', id: 4, leaderId: '12D3KooWLead', addrs: ['/ip4/10.0.0.1/tcp/7000'] },
    { type: 'error-response', id: 5, code: 'not-found', message: "No job 'job-9'", retriable: false },
    submit,
    { type: 'submit-job', id: 11, name: 'j', codeCid: CID, args: {}, parallelism: 1, submitter: '12D3KooWEdge' },
    { type: 'submit-job-response', id: 8, jobId: 'job-1' },
    { type: 'jobs-request', id: 9 },
    jobs,
    { ...jobs, jobs: [] },
    { type: 'cancel-job', id: 12, jobId: 'job-1' },
    { type: 'cancel-job-response', id: 12, jobId: 'job-1', state: 'CANCELED' },
    { type: 'await-job', id: 13, jobId: 'job-1' },
    { type: 'job-result', id: 13, jobId: 'job-1', state: 'FINISHED' },
    { type: 'job-result', id: 13, jobId: 'job-2', state: 'FAILED', error: 'Window operator threw: boom' },
    report,
    { type: 'task-report', id: 14, jobId: 'job-1', attempt: 0, peer: '12D3KooWEdge', state: 'RUNNING' },
    { type: 'task-report-ack', id: 14 }
  ]
  for (const m of messages) assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
})

roundTrip('optional fields left undefined are not sent', () => {
  const { maxParallelism: _max, ...noMax } = submit
  const decoded = decodeClientMessage(encodeClientMessage({ ...noMax, maxParallelism: undefined } as unknown as ClientMessage))
  assert.equal(decoded, noMax)
  assert.not.ok('maxParallelism' in decoded)
  const result = decodeClientMessage(encodeClientMessage({ type: 'job-result', id: 1, jobId: 'j', state: 'FINISHED', error: undefined } as unknown as ClientMessage))
  assert.not.ok('error' in result)
})

roundTrip('a job in a jobs response is the jobs --json shape of DESIGN §7', () => {
  const decoded = decodeClientMessage(encodeClientMessage(jobs)) as JobsResponse
  assert.equal(Object.keys(decoded.jobs[0]!), ['id', 'name', 'state', 'restarts', 'tasks'])
  assert.equal(Object.keys(decoded.jobs[0]!.tasks[0]!), ['vertex', 'subtask', 'peer', 'partitions', 'local'])
  assert.equal(decoded.jobs[0]!.tasks[0]!.partitions, [0, 3])
  assert.equal(Object.keys(decoded.jobs[0]!.tasks[1]!), ['vertex', 'subtask', 'peer'])
  assert.equal(Object.keys(decoded.jobs[1]!), ['id', 'name', 'state', 'restarts', 'tasks', 'error'])
  assert.equal(JOB_STATES, ['CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED'])
})

roundTrip('a status response minus type and id is the status --json shape of DESIGN §7', () => {
  const { type: _type, id: _id, ...json } = decodeClientMessage(encodeClientMessage(status)) as StatusResponse
  assert.equal(Object.keys(json), ['leader', 'term', 'peers'])
  assert.equal(Object.keys(json.peers[0]!), ['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role'])
})

roundTrip('a status peer carries the optional scrub counts of the answering peer', () => {
  const scrub = { scanned: 120, corrupt: 2, repaired: 1, unrepairable: 1, passes: 3, lastPassAt: 1_700_000_000_000 }
  const withScrub: StatusResponse = { ...status, peers: [{ ...status.peers[0]!, scrub }, { ...status.peers[1]!, scrub: { ...scrub, lastPassAt: null } }] }
  assert.equal(decodeClientMessage(encodeClientMessage(withScrub)), withScrub)
  const bad = { ...status, peers: [{ ...status.peers[0], scrub: { ...scrub, corrupt: -1 } }] }
  rejects(() => decodeClientMessage(encodeCbor(bad)), 'MalformedMessageError', "Malformed client message: field 'peers[0].scrub.corrupt' must be a non-negative integer, got the number -1")
  const extra = { ...status, peers: [{ ...status.peers[0], scrub: { ...scrub, bogus: 1 } }] }
  rejects(() => decodeClientMessage(encodeCbor(extra)), 'MalformedMessageError', /scrub\.bogus/)
})

roundTrip('decodes every generated message as encoded (property)', () => {
  fc.assert(fc.property(clientMessageArb, m => {
    assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
  }), { numRuns: 300 })
})

roundTrip('CLIENT_CODEC names the protocol', () => {
  assert.is(CLIENT_CODEC.protocol, '/meshflow/client/1')
})

const reject = suite('decodeClientMessage rejects')

reject('a submission whose job id is not a lower-case UUID', () => {
  const submit = { type: 'submit-job', id: 3, name: 'j', codeCid: CID, args: {}, parallelism: 1, submitter: '12D3KooWEdge' }
  assert.equal(decodeClientMessage(encodeCbor({ ...submit, jobId: '0b7c3d8e-5f1a-4c2b-9d3e-7a6b5c4d3e2f' })), { ...submit, jobId: '0b7c3d8e-5f1a-4c2b-9d3e-7a6b5c4d3e2f' })
  rejects(() => decodeClientMessage(encodeCbor({ ...submit, jobId: 'job-1' })), 'MalformedMessageError', /field 'jobId' must have at least 36 characters/)
  rejects(() => decodeClientMessage(encodeCbor({ ...submit, jobId: '0B7C3D8E-5F1A-4C2B-9D3E-7A6B5C4D3E2F' })), 'MalformedMessageError', /field 'jobId'/)
})

reject('a request without an id, or with a negative one', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'status-request' })), 'MalformedMessageError', "Malformed client message: field 'id' is missing")
  rejects(() => decodeClientMessage(encodeCbor({ type: 'status-request', id: -2 })), 'MalformedMessageError', "Malformed client message: field 'id' must be a non-negative integer, got the number -2")
})

reject('a status peer with a bad field, named by its position', () => {
  const bad = { ...status, peers: [status.peers[0], { ...status.peers[1], role: 'boss' }] }
  rejects(() => decodeClientMessage(encodeCbor(bad)), 'MalformedMessageError', "Malformed client message: field 'peers[1].role' must be one of 'leader', 'follower', 'candidate', 'learner', 'lost', got the string \"boss\"")
  const freeTooMany = { ...status, peers: [{ ...status.peers[0], freeSlots: 3 }] }
  rejects(() => decodeClientMessage(encodeCbor(freeTooMany)), 'MalformedMessageError', "Malformed client message: field 'peers[0].freeSlots' must not exceed slots (2), got 3")
})

reject('a peer listed twice', () => {
  rejects(() => decodeClientMessage(encodeCbor({ ...status, peers: [status.peers[0], status.peers[0]] })), 'MalformedMessageError', "Malformed client message: field 'peers[1].id' names \"12D3KooWLead\" a second time")
})

reject('a leader that is neither a peer id nor null', () => {
  rejects(() => decodeClientMessage(encodeCbor({ ...status, leader: 5 })), 'MalformedMessageError', "Malformed client message: field 'leader' must be a string, got the number 5")
  rejects(() => decodeClientMessage(encodeCbor({ ...status, leader: undefined })), 'MalformedMessageError', "Malformed client message: field 'leader' is missing")
})

reject('an unknown error code, an empty message or a non-boolean retriable', () => {
  const e = { type: 'error-response', id: 1, code: 'no-leader', message: 'No leader', retriable: true }
  rejects(() => decodeClientMessage(encodeCbor({ ...e, code: 'EPERM' })), 'MalformedMessageError', /^Malformed client message: field 'code' must be one of 'no-leader', .* got the string "EPERM"$/)
  rejects(() => decodeClientMessage(encodeCbor({ ...e, message: '' })), 'MalformedMessageError', "Malformed client message: field 'message' must not be empty")
  rejects(() => decodeClientMessage(encodeCbor({ ...e, message: 'x'.repeat(16 * 1024 + 1) })), 'MalformedMessageError', "Malformed client message: field 'message' must have at most 16384 characters, got 16385")
  rejects(() => decodeClientMessage(encodeCbor({ ...e, retriable: 'yes' })), 'MalformedMessageError', "Malformed client message: field 'retriable' must be a boolean, got the string \"yes\"")
})

reject('a mark response at index 0', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'mark-response', id: 1, index: 0, term: 1 })), 'MalformedMessageError', "Malformed client message: field 'index' must be at least 1 (log indices start at 1), got 0")
})

reject('a raw log command: clients cannot propose entries', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'propose-request', id: 1, command: { op: 'submit-job', junk: true } })), 'MalformedMessageError', "Malformed client message: field 'command' is not a field of this message")
  rejects(() => decodeClientMessage(encodeCbor({ type: 'mark-request', id: 1, text: 'x', command: { op: 'job-state' } })), 'MalformedMessageError', "Malformed client message: field 'command' is not a field of this message")
  rejects(() => decodeClientMessage(encodeCbor({ type: 'mark-request', id: 1, text: 'x'.repeat(257) })), 'MalformedMessageError', "Malformed client message: field 'text' must have at most 256 characters, got 257")
})

reject('a redirect without addrs', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'leader-redirect', id: 1, leaderId: 'a' })), 'MalformedMessageError', "Malformed client message: field 'addrs' is missing")
})

const rejectJobs = suite('decodeClientMessage rejects job messages')
const M = 'MalformedMessageError'
const decodeWire = (wire: unknown): unknown => decodeClientMessage(encodeCbor(wire))

rejectJobs('a submission with a bad or missing code CID', () => {
  rejects(() => decodeWire({ ...submit, codeCid: undefined }), M, "Malformed client message: field 'codeCid' is missing")
  rejects(() => decodeWire({ ...submit, codeCid: 'not a cid' }), M, "Malformed client message: field 'codeCid' must be printable ASCII without spaces, got the string \"not a cid\"")
  rejects(() => decodeWire({ ...submit, codeCid: 'bafkreinotacid' }), M, /^Malformed client message: field 'codeCid' must be a meshflow block CID \(CIDv1, raw, sha2-256\): Invalid CID 'bafkreinotacid': /)
  // a CIDv0 (dag-pb) is a valid CID, but not a block CID
  rejects(() => decodeWire({ ...submit, codeCid: 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n' }), M, /^Malformed client message: field 'codeCid' must be a meshflow block CID .*must be version 1, got version 0$/)
  rejects(() => decodeWire({ ...submit, codeCid: 5 }), M, "Malformed client message: field 'codeCid' must be a string, got the number 5")
})

rejectJobs('a submission with bad arguments', () => {
  rejects(() => decodeWire({ ...submit, args: undefined }), M, "Malformed client message: field 'args' is missing")
  rejects(() => decodeWire({ ...submit, args: ['a'] }), M, "Malformed client message: field 'args' must be a map of strings to strings, got an array of 1")
  rejects(() => decodeWire({ ...submit, args: { input: 3 } }), M, "Malformed client message: field 'args.input' must be a string, got the number 3")
  rejects(() => decodeWire({ ...submit, args: { '': 'x' } }), M, "Malformed client message: field 'args' must not be empty")
  rejects(() => decodeWire({ ...submit, args: { 'a\u0000b': 'x' } }), M, "Malformed client message: field 'args' must be text without control characters, got the string \"a\\u0000b\"")
  rejects(() => decodeWire({ ...submit, args: { input: 'x'.repeat(4097) } }), M, "Malformed client message: field 'args.input' must have at most 4096 characters, got 4097")
  const many = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 'v']))
  rejects(() => decodeWire({ ...submit, args: many }), M, "Malformed client message: field 'args' must have at most 256 arguments, got 257")
})

rejectJobs('a submission with a bad parallelism, max parallelism, name or submitter', () => {
  rejects(() => decodeWire({ ...submit, parallelism: 0 }), M, "Malformed client message: field 'parallelism' must be at least 1, got 0")
  rejects(() => decodeWire({ ...submit, parallelism: 1.5 }), M, "Malformed client message: field 'parallelism' must be a non-negative integer, got the number 1.5")
  rejects(() => decodeWire({ ...submit, maxParallelism: undefined, parallelism: 65_537 }), M, "Malformed client message: field 'parallelism' must be at most 65536, got 65537")
  rejects(() => decodeWire({ ...submit, maxParallelism: 32_769 }), M, "Malformed client message: field 'maxParallelism' must be at most 32768, got 32769")
  rejects(() => decodeWire({ ...submit, maxParallelism: 0 }), M, "Malformed client message: field 'maxParallelism' must be at least 1, got 0")
  rejects(() => decodeWire({ ...submit, maxParallelism: null }), M, "Malformed client message: field 'maxParallelism' must be a non-negative integer, got null")
  rejects(() => decodeWire({ ...submit, parallelism: 8, maxParallelism: 4 }), M, "Malformed client message: field 'parallelism' must not exceed maxParallelism (4), got 8")
  rejects(() => decodeWire({ ...submit, name: '' }), M, "Malformed client message: field 'name' must not be empty")
  rejects(() => decodeWire({ ...submit, name: 'a\nb' }), M, "Malformed client message: field 'name' must be text without control characters, got the string \"a\\nb\"")
  rejects(() => decodeWire({ ...submit, submitter: undefined }), M, "Malformed client message: field 'submitter' is missing")
  rejects(() => decodeWire({ ...submit, submitter: '12D3 KooW' }), M, "Malformed client message: field 'submitter' must be a peer id (printable ASCII), got the string \"12D3 KooW\"")
  rejects(() => decodeWire({ ...submit, code: 'x' }), M, "Malformed client message: field 'code' is not a field of this message")
})

rejectJobs('a job id that is missing, empty, too long or not a string', () => {
  for (const type of ['submit-job-response', 'cancel-job', 'await-job']) {
    rejects(() => decodeWire({ type, id: 1 }), M, "Malformed client message: field 'jobId' is missing")
    rejects(() => decodeWire({ type, id: 1, jobId: '' }), M, "Malformed client message: field 'jobId' must not be empty")
    rejects(() => decodeWire({ type, id: 1, jobId: 'j'.repeat(257) }), M, "Malformed client message: field 'jobId' must have at most 256 characters, got 257")
    rejects(() => decodeWire({ type, id: 1, jobId: 7 }), M, "Malformed client message: field 'jobId' must be a string, got the number 7")
  }
  rejects(() => decodeWire({ type: 'jobs-request', id: 1, jobId: 'j' }), M, "Malformed client message: field 'jobId' is not a field of this message")
  rejects(() => decodeWire({ type: 'task-report-ack', id: 1, error: 'x' }), M, "Malformed client message: field 'error' is not a field of this message")
})

rejectJobs('a job in a jobs response with a bad field, named by its position', () => {
  const [a, b] = jobs.jobs
  rejects(() => decodeWire({ ...jobs, jobs: [a, { ...b, state: 'DONE' }] }), M, "Malformed client message: field 'jobs[1].state' must be one of 'CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED', got the string \"DONE\"")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, restarts: -1 }] }), M, "Malformed client message: field 'jobs[0].restarts' must be a non-negative integer, got the number -1")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, tasks: undefined }] }), M, "Malformed client message: field 'jobs[0].tasks' is missing")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, tasks: [a!.tasks[0], { ...a!.tasks[1], subtask: 32_768 }] }] }), M, "Malformed client message: field 'jobs[0].tasks[1].subtask' must be at most 32767, got 32768")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, tasks: [{ ...a!.tasks[0], peer: '' }] }] }), M, "Malformed client message: field 'jobs[0].tasks[0].peer' must not be empty")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, tasks: [{ ...a!.tasks[0], slot: 1 }] }] }), M, "Malformed client message: field 'jobs[0].tasks[0].slot' is not a field of this message")
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...a, error: 5 }] }), M, "Malformed client message: field 'jobs[0].error' must be a string, got the number 5")
  rejects(() => decodeWire({ ...jobs, jobs: [a, a] }), M, "Malformed client message: field 'jobs[1].id' names \"job-1\" a second time")
  rejects(() => decodeWire({ ...jobs, jobs: 'all' }), M, "Malformed client message: field 'jobs' must be an array, got the string \"all\"")
})

rejectJobs('more jobs or tasks than the limits', () => {
  const job = { id: 'j', name: 'n', state: 'RUNNING', restarts: 0, tasks: [] }
  rejects(() => decodeWire({ ...jobs, jobs: Array.from({ length: 4097 }, (_, i) => ({ ...job, id: `j${i}` })) }), M, "Malformed client message: field 'jobs' must have at most 4096 elements, got 4097")
  const task = { vertex: 'v', subtask: 0, peer: 'p' }
  rejects(() => decodeWire({ ...jobs, jobs: [{ ...job, tasks: Array.from({ length: 65_537 }, () => task) }] }), M, "Malformed client message: field 'jobs[0].tasks' must have at most 65536 elements, got 65537")
})

rejectJobs('a job state or task state outside its set', () => {
  rejects(() => decodeWire({ type: 'cancel-job-response', id: 1, jobId: 'j', state: 'canceled' }), M, /^Malformed client message: field 'state' must be one of 'CREATED', .* got the string "canceled"$/)
  rejects(() => decodeWire({ type: 'job-result', id: 1, jobId: 'j' }), M, "Malformed client message: field 'state' is missing")
  // a task is never CREATED or RESTARTING: those are job states
  rejects(() => decodeWire({ ...report, state: 'RESTARTING' }), M, "Malformed client message: field 'state' must be one of 'RUNNING', 'FINISHED', 'FAILED', 'CANCELED', got the string \"RESTARTING\"")
})

rejectJobs('a task report with a bad attempt, peer or error', () => {
  rejects(() => decodeWire({ ...report, attempt: -1 }), M, "Malformed client message: field 'attempt' must be a non-negative integer, got the number -1")
  rejects(() => decodeWire({ ...report, attempt: undefined }), M, "Malformed client message: field 'attempt' is missing")
  rejects(() => decodeWire({ ...report, peer: 3 }), M, "Malformed client message: field 'peer' must be a string, got the number 3")
  rejects(() => decodeWire({ ...report, error: 'x'.repeat(16 * 1024 + 1) }), M, "Malformed client message: field 'error' must have at most 16384 characters, got 16385")
  rejects(() => decodeWire({ ...report, error: 'bell\u0007' }), M, "Malformed client message: field 'error' must be text without control characters other than tabs and line breaks, got the string \"bell\\u0007\"")
  rejects(() => decodeWire({ ...report, error: null }), M, "Malformed client message: field 'error' must be a string, got null")
  // tabs and line breaks are allowed in errors (stack traces, build errors)
  assert.equal(decodeWire({ ...report, error: 'a\n\tb\r\n' }), { ...report, error: 'a\n\tb\r\n' })
})

const CID2 = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'

const savepoint: TriggerSavepointRequest = { type: 'trigger-savepoint', id: 20, jobId: 'job-1', name: 'before-v2', stop: 'drain' }

const savepoints: SavepointsResponse = {
  type: 'savepoints-response',
  id: 21,
  savepoints: [
    { name: 'before-v2', jobId: 'job-1', jobName: 'sensor-job', checkpointId: 12, cid: CID, createdAt: 1_764_000_000_000 },
    { name: 'nightly 2026-11-24 (ü)', jobId: 'job-2', jobName: 'word count', checkpointId: 0, cid: CID2, createdAt: 0 }
  ]
}

const jobsWithCheckpoints: JobsResponse = {
  type: 'jobs-response',
  id: 22,
  jobs: [{
    id: 'job-1', name: 'sensor-job', state: 'RUNNING', restarts: 2, tasks: [],
    checkpoints: { completed: 7, latest: { id: 9, cid: CID, at: 1_764_000_000_500 } },
    restoreHistory: [{ attempt: 0, checkpointId: null, at: 1_764_000_000_000 }, { attempt: 1, checkpointId: 4, at: 1_764_000_000_100 }]
  }, { id: 'job-2', name: 'j', state: 'CREATED', restarts: 0, tasks: [], checkpoints: { completed: 0 }, restoreHistory: [] }]
}

const ack: CheckpointAck = {
  type: 'checkpoint-ack',
  id: 23,
  jobId: 'job-1',
  attempt: 1,
  checkpointId: 9,
  peer: '12D3KooWEdge',
  vertex: 'window-agg',
  subtask: 3,
  operators: [
    { operatorId: 'revenue-per-store', keyed: [CID, CID2], list: [] },
    { operatorId: 'source-1', keyed: [], list: [{ split: 0, next: 1200 }, { split: 4, next: 77 }, null, 'x', new Uint8Array([1, 2])] }
  ]
}

const decline: CheckpointDecline = { type: 'checkpoint-decline', id: 24, jobId: 'job-1', attempt: 1, checkpointId: 9, peer: '12D3KooWEdge', reason: 'Snapshot failed:\n\tboom' }

const checkpoints = suite('decodeClientMessage savepoint and checkpoint messages')

checkpoints('round-trips every savepoint and checkpoint message', () => {
  const messages: ClientMessage[] = [
    savepoint,
    { type: 'trigger-savepoint', id: 20, jobId: 'job-1', name: 'b' },
    { type: 'trigger-savepoint', id: 20, jobId: 'job-1', name: 'b', stop: 'no-drain' },
    { type: 'savepoint-response', id: 20, jobId: 'job-1', name: 'before-v2', checkpointId: 12, cid: CID },
    { type: 'savepoints-request', id: 21 },
    savepoints,
    { type: 'savepoints-response', id: 21, savepoints: [] },
    { type: 'delete-savepoint', id: 25, name: 'before-v2' },
    { type: 'delete-savepoint-response', id: 25, name: 'before-v2' },
    { ...submit, fromSavepoint: 'before-v2', allowNonRestoredState: true },
    { ...submit, fromSavepoint: 'before-v2', allowNonRestoredState: false },
    jobsWithCheckpoints,
    { type: 'trigger-checkpoint', id: 26, term: 3, leaderId: '12D3KooWLeader', jobId: 'job-1', attempt: 1, checkpointId: 10, kind: 'checkpoint' },
    { type: 'trigger-checkpoint', id: 26, term: 0, leaderId: 'p', jobId: 'job-1', attempt: 0, checkpointId: 0, kind: 'stop-drain' },
    { type: 'trigger-checkpoint-response', id: 26, accepted: false, lastCheckpointId: 9 },
    ack,
    { ...ack, checkpointId: Number.MAX_SAFE_INTEGER, operators: [] },
    decline,
    { type: 'checkpoint-ack-response', id: 23, accepted: true }
  ]
  for (const m of messages) assert.equal(decodeClientMessage(encodeClientMessage(m)), m)
})

checkpoints('a job with checkpoints keeps the jobs --json key order, new fields last', () => {
  const decoded = decodeClientMessage(encodeClientMessage(jobsWithCheckpoints)) as JobsResponse
  assert.equal(Object.keys(decoded.jobs[0]!), ['id', 'name', 'state', 'restarts', 'tasks', 'checkpoints', 'restoreHistory'])
  assert.equal(Object.keys(decoded.jobs[0]!.checkpoints!), ['completed', 'latest'])
  assert.equal(Object.keys(decoded.jobs[0]!.restoreHistory![0]!), ['attempt', 'checkpointId', 'at'])
})

checkpoints('savepointNameProblem says what is wrong with a name, or nothing', () => {
  assert.is(savepointNameProblem('before-v2'), undefined)
  assert.is(savepointNameProblem('x'.repeat(200)), undefined)
  assert.is(savepointNameProblem(''), 'must not be empty')
  assert.is(savepointNameProblem('x'.repeat(201)), 'must have at most 200 characters, got 201')
  assert.is(savepointNameProblem('a/b'), "must be a savepoint name (text without control characters or '/'), got the string \"a/b\"")
  assert.is(savepointNameProblem('a\tb'), "must be a savepoint name (text without control characters or '/'), got the string \"a\\tb\"")
})

const rejectCheckpoints = suite('decodeClientMessage rejects savepoint and checkpoint messages')

rejectCheckpoints('a savepoint name that is empty, too long, has a / or a control character', () => {
  const bad = "must be a savepoint name (text without control characters or '/')"
  for (const wire of [savepoint, { type: 'delete-savepoint', id: 1, name: 'x' }, { type: 'delete-savepoint-response', id: 1, name: 'x' }, { ...submit, fromSavepoint: 'x' }]) {
    const key = wire.type === 'submit-job' ? 'fromSavepoint' : 'name'
    rejects(() => decodeWire({ ...wire, [key]: '' }), M, `Malformed client message: field '${key}' must not be empty`)
    rejects(() => decodeWire({ ...wire, [key]: 'n'.repeat(201) }), M, `Malformed client message: field '${key}' must have at most 200 characters, got 201`)
    rejects(() => decodeWire({ ...wire, [key]: 'a/b' }), M, `Malformed client message: field '${key}' ${bad}, got the string "a/b"`)
    rejects(() => decodeWire({ ...wire, [key]: 'a\u0085b' }), M, `Malformed client message: field '${key}' ${bad}, got the string "a\u0085b"`)
    rejects(() => decodeWire({ ...wire, [key]: 3 }), M, `Malformed client message: field '${key}' must be a string, got the number 3`)
  }
  rejects(() => decodeWire({ ...savepoint, name: undefined }), M, "Malformed client message: field 'name' is missing")
})

rejectCheckpoints('a savepoint request with a bad stop mode or job id', () => {
  rejects(() => decodeWire({ ...savepoint, stop: 'yes' }), M, "Malformed client message: field 'stop' must be one of 'no-drain', 'drain', got the string \"yes\"")
  rejects(() => decodeWire({ ...savepoint, stop: true }), M, "Malformed client message: field 'stop' must be one of 'no-drain', 'drain', got the boolean true")
  rejects(() => decodeWire({ ...savepoint, jobId: '' }), M, "Malformed client message: field 'jobId' must not be empty")
  rejects(() => decodeWire({ ...savepoint, drain: true }), M, "Malformed client message: field 'drain' is not a field of this message")
})

rejectCheckpoints('a submission with a non-boolean allowNonRestoredState', () => {
  rejects(() => decodeWire({ ...submit, allowNonRestoredState: 'yes' }), M, "Malformed client message: field 'allowNonRestoredState' must be a boolean, got the string \"yes\"")
})

rejectCheckpoints('a savepoint response or listing with a bad CID, checkpoint id or time, named by position', () => {
  const response = { type: 'savepoint-response', id: 1, jobId: 'j', name: 'n', checkpointId: 1, cid: CID }
  rejects(() => decodeWire({ ...response, cid: 'bafkreinotacid' }), M, /^Malformed client message: field 'cid' must be a meshflow block CID \(CIDv1, raw, sha2-256\): Invalid CID 'bafkreinotacid'/)
  rejects(() => decodeWire({ ...response, checkpointId: -1 }), M, "Malformed client message: field 'checkpointId' must be a non-negative integer, got the number -1")
  rejects(() => decodeWire({ ...response, checkpointId: 2 ** 53 }), M, "Malformed client message: field 'checkpointId' must be a non-negative integer, got the number 9007199254740992")
  const [a, b] = savepoints.savepoints
  rejects(() => decodeWire({ ...savepoints, savepoints: [a, { ...b, cid: 'x y' }] }), M, "Malformed client message: field 'savepoints[1].cid' must be printable ASCII without spaces, got the string \"x y\"")
  rejects(() => decodeWire({ ...savepoints, savepoints: [{ ...a, createdAt: 1.5 }] }), M, "Malformed client message: field 'savepoints[0].createdAt' must be a non-negative integer, got the number 1.5")
  rejects(() => decodeWire({ ...savepoints, savepoints: [{ ...a, jobName: undefined }] }), M, "Malformed client message: field 'savepoints[0].jobName' is missing")
  rejects(() => decodeWire({ ...savepoints, savepoints: [{ ...a, path: '/x' }] }), M, "Malformed client message: field 'savepoints[0].path' is not a field of this message")
  rejects(() => decodeWire({ ...savepoints, savepoints: [a, a] }), M, "Malformed client message: field 'savepoints[1].name' names \"before-v2\" a second time")
  rejects(() => decodeWire({ ...savepoints, savepoints: Array.from({ length: 4097 }, (_, i) => ({ ...a, name: `s${i}` })) }), M, "Malformed client message: field 'savepoints' must have at most 4096 elements, got 4097")
})

rejectCheckpoints('a job with a bad checkpoint summary or restore history, named by position', () => {
  const [j] = jobsWithCheckpoints.jobs
  const wire = (patch: object): unknown => ({ ...jobsWithCheckpoints, jobs: [{ ...j, ...patch }] })
  rejects(() => decodeWire(wire({ checkpoints: 3 })), M, "Malformed client message: field 'jobs[0].checkpoints' must be a map with string keys, got the number 3")
  rejects(() => decodeWire(wire({ checkpoints: { completed: 0, latest: { id: 1, cid: CID, at: 0 } } })), M, "Malformed client message: field 'jobs[0].checkpoints.completed' must be at least 1 when there is a latest checkpoint, got 0")
  rejects(() => decodeWire(wire({ checkpoints: { completed: 1, latest: { id: 1, cid: 'nope', at: 0 } } })), M, /^Malformed client message: field 'jobs\[0\]\.checkpoints\.latest\.cid' must be a meshflow block CID/)
  rejects(() => decodeWire(wire({ checkpoints: { completed: 1, latest: { id: 1, cid: CID } } })), M, "Malformed client message: field 'jobs[0].checkpoints.latest.at' is missing")
  rejects(() => decodeWire(wire({ checkpoints: { latest: { id: 1, cid: CID, at: 0 } } })), M, "Malformed client message: field 'jobs[0].checkpoints.completed' is missing")
  rejects(() => decodeWire(wire({ restoreHistory: [{ attempt: 0, checkpointId: null, at: 0 }, { attempt: 1, checkpointId: 'latest', at: 0 }] })), M, "Malformed client message: field 'jobs[0].restoreHistory[1].checkpointId' must be a non-negative integer, got the string \"latest\"")
  rejects(() => decodeWire(wire({ restoreHistory: [{ attempt: 0, at: 0 }] })), M, "Malformed client message: field 'jobs[0].restoreHistory[0].checkpointId' is missing")
  rejects(() => decodeWire(wire({ restoreHistory: [{ attempt: -1, checkpointId: null, at: 0 }] })), M, "Malformed client message: field 'jobs[0].restoreHistory[0].attempt' must be a non-negative integer, got the number -1")
  rejects(() => decodeWire(wire({ restoreHistory: Array.from({ length: 101 }, (_, i) => ({ attempt: i, checkpointId: null, at: 0 })) })), M, "Malformed client message: field 'jobs[0].restoreHistory' must have at most 100 elements, got 101")
})

rejectCheckpoints('a checkpoint trigger with a bad kind, attempt or checkpoint id', () => {
  const trigger = { type: 'trigger-checkpoint', id: 1, term: 1, leaderId: 'a', jobId: 'j', attempt: 0, checkpointId: 1, kind: 'checkpoint' }
  rejects(() => decodeWire({ ...trigger, term: undefined }), M, "Malformed client message: field 'term' is missing")
  rejects(() => decodeWire({ ...trigger, leaderId: 7 }), M, "Malformed client message: field 'leaderId' must be a string, got the number 7")
  rejects(() => decodeWire({ ...trigger, kind: 'snapshot' }), M, "Malformed client message: field 'kind' must be one of 'checkpoint', 'savepoint', 'stop', 'stop-drain', got the string \"snapshot\"")
  rejects(() => decodeWire({ ...trigger, attempt: undefined }), M, "Malformed client message: field 'attempt' is missing")
  rejects(() => decodeWire({ ...trigger, checkpointId: 1.5 }), M, "Malformed client message: field 'checkpointId' must be a non-negative integer, got the number 1.5")
  const response = { type: 'trigger-checkpoint-response', id: 1, accepted: true, lastCheckpointId: 0 }
  rejects(() => decodeWire({ ...response, accepted: 1 }), M, "Malformed client message: field 'accepted' must be a boolean, got the number 1")
  rejects(() => decodeWire({ ...response, lastCheckpointId: null }), M, "Malformed client message: field 'lastCheckpointId' must be a non-negative integer, got null")
  rejects(() => decodeWire({ type: 'checkpoint-ack-response', id: 1 }), M, "Malformed client message: field 'accepted' is missing")
})

rejectCheckpoints('a checkpoint ack with a bad operator state, named by position', () => {
  const [keyed, source] = ack.operators
  const wire = (operators: unknown): unknown => ({ ...ack, operators })
  rejects(() => decodeWire({ ...ack, subtask: 32_768 }), M, "Malformed client message: field 'subtask' must be at most 32767, got 32768")
  rejects(() => decodeWire({ ...ack, vertex: '' }), M, "Malformed client message: field 'vertex' must not be empty")
  rejects(() => decodeWire({ ...ack, peer: undefined }), M, "Malformed client message: field 'peer' is missing")
  rejects(() => decodeWire({ ...ack, operators: undefined }), M, "Malformed client message: field 'operators' is missing")
  rejects(() => decodeWire(wire([keyed, { ...source, keyed: [CID, 'bafkreinotacid'] }])), M, /^Malformed client message: field 'operators\[1\]\.keyed\[1\]' must be a meshflow block CID \(CIDv1, raw, sha2-256\): Invalid CID 'bafkreinotacid'/)
  rejects(() => decodeWire(wire([{ ...keyed, keyed: [7] }])), M, "Malformed client message: field 'operators[0].keyed[0]' must be a string, got the number 7")
  rejects(() => decodeWire(wire([{ ...keyed, keyed: CID }])), M, /^Malformed client message: field 'operators\[0\]\.keyed' must be an array, got a string of 59 characters$/)
  rejects(() => decodeWire(wire([{ ...keyed, list: undefined }])), M, "Malformed client message: field 'operators[0].list' is missing")
  rejects(() => decodeWire(wire([{ ...keyed, operatorId: '' }])), M, "Malformed client message: field 'operators[0].operatorId' must not be empty")
  rejects(() => decodeWire(wire([keyed, keyed])), M, "Malformed client message: field 'operators[1].operatorId' names \"revenue-per-store\" a second time")
  rejects(() => decodeWire(wire([{ ...keyed, state: {} }])), M, "Malformed client message: field 'operators[0].state' is not a field of this message")
  rejects(() => decodeWire(wire([{ ...source, list: [1, { at: [new Error('boom')] }] }])), M, "Malformed client message: field 'operators[0].list[1].at[0]' must be plain data, got an Error")
})

rejectCheckpoints('a checkpoint ack over the CID, list or operator limits', () => {
  const op = { operatorId: 'o', keyed: [], list: [] }
  rejects(() => decodeWire({ ...ack, operators: [{ ...op, keyed: Array.from({ length: 10_001 }, () => CID) }] }), M, "Malformed client message: field 'operators[0].keyed' must have at most 10000 elements, got 10001")
  rejects(() => decodeWire({ ...ack, operators: [{ ...op, list: new Array(100_001).fill(0) }] }), M, "Malformed client message: field 'operators[0].list' must have at most 100000 elements, got 100001")
  const half = new Array(50_001).fill(0)
  rejects(() => decodeWire({ ...ack, operators: [{ ...op, list: half }, { ...op, operatorId: 'p', list: half }] }), M, "Malformed client message: field 'operators[1].list' brings the list state of this acknowledgement to 100002 elements, more than 100000")
  rejects(() => decodeWire({ ...ack, operators: Array.from({ length: 1025 }, (_, i) => ({ ...op, operatorId: `o${i}` })) }), M, "Malformed client message: field 'operators' must have at most 1024 elements, got 1025")
  // 10,000 CIDs per operator are within the limits and the frame size
  const many = { ...ack, operators: [{ ...op, keyed: Array.from({ length: 10_000 }, () => CID) }] }
  assert.is((decodeWire(many) as CheckpointAck).operators[0]!.keyed.length, 10_000)
})

rejectCheckpoints('a checkpoint decline with a bad reason', () => {
  rejects(() => decodeWire({ ...decline, reason: undefined }), M, "Malformed client message: field 'reason' is missing")
  rejects(() => decodeWire({ ...decline, reason: 'bell\u0007' }), M, "Malformed client message: field 'reason' must be text without control characters other than tabs and line breaks, got the string \"bell\\u0007\"")
  rejects(() => decodeWire({ ...decline, reason: 'x'.repeat(16 * 1024 + 1) }), M, "Malformed client message: field 'reason' must have at most 16384 characters, got 16385")
  rejects(() => decodeWire({ ...decline, checkpointId: -1 }), M, "Malformed client message: field 'checkpointId' must be a non-negative integer, got the number -1")
})

roundTrip.run()
reject.run()
rejectJobs.run()
checkpoints.run()
rejectCheckpoints.run()

const statusExtras = suite('decodeClientMessage status group and warnings')

statusExtras('carries the group, the voters and the warnings of a status, and refuses unknown warning codes', () => {
  const warned: StatusResponse = {
    ...status,
    group: '12D3KooWLead@1700000000000',
    voters: ['12D3KooWLead', '12D3KooWEdge'],
    warnings: [{ code: 'other-group', message: 'split mesh: x belongs to Raft group x@2', peers: ['x'], group: 'x@2' }]
  }
  assert.equal(decodeClientMessage(encodeClientMessage(warned)), warned)
  const raw = (warnings: unknown): Uint8Array => encodeCbor({ ...status, warnings })
  rejects(() => decodeClientMessage(raw([{ code: 'on-fire', message: 'm', peers: [] }])), 'MalformedMessageError',
    "Malformed client message: field 'warnings[0].code' must be one of 'no-quorum', 'other-group', 'waiting-for-peers', got the string \"on-fire\"")
  rejects(() => decodeClientMessage(raw([{ code: 'no-quorum', message: '', peers: [] }])), 'MalformedMessageError',
    "Malformed client message: field 'warnings[0].message' must not be empty")
})

statusExtras.run()

const texts = suite('errorText')

texts('makes any text an error text the codecs accept: control characters replaced, cut to the limit', () => {
  assert.is(errorText('bad \u001b[31mred\u0000\u009f'), 'bad ?[31mred??')
  assert.is(errorText('line one\n\tline two\r\n'), 'line one\n\tline two\r\n', 'tabs and line breaks stay')
  const long = errorText('x'.repeat(100_000))
  const decoded = decodeClientMessage(encodeClientMessage({ type: 'task-report', id: 1, jobId: 'j', attempt: 0, peer: 'p', state: 'FAILED', error: long }))
  assert.is(decoded.type === 'task-report' ? decoded.error?.length : 0, long.length)
  assert.ok(long.length < 100_000)
  decodeClientMessage(encodeClientMessage({ type: 'task-report', id: 1, jobId: 'j', attempt: 0, peer: 'p', state: 'FAILED', error: errorText('\u0007bell') }))
})

texts.run()

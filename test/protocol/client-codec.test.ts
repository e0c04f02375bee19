import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { encodeClientMessage, decodeClientMessage, encodeCbor, CLIENT_CODEC } from '../../protocol/codec.ts'
import type { ClientMessage, JobsResponse, StatusResponse, SubmitJobRequest, TaskReport } from '../../protocol/client.ts'
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
    { id: 'job-1', name: 'sensor-job', state: 'RUNNING', restarts: 0, tasks: [{ vertex: 'source-1', subtask: 0, peer: '12D3KooWEdge' }, { vertex: 'sink', subtask: 1, peer: '12D3KooWLead' }] },
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
    { type: 'propose-request', id: 2, command: { op: 'set', key: 'k', value: [1, 2, { nested: true }] } },
    { type: 'propose-response', id: 2, index: 12, term: 4 },
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
  assert.equal(Object.keys(decoded.jobs[0]!.tasks[0]!), ['vertex', 'subtask', 'peer'])
  assert.equal(Object.keys(decoded.jobs[1]!), ['id', 'name', 'state', 'restarts', 'tasks', 'error'])
  assert.equal(JOB_STATES, ['CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED'])
})

roundTrip('a status response minus type and id is the status --json shape of DESIGN §7', () => {
  const { type: _type, id: _id, ...json } = decodeClientMessage(encodeClientMessage(status)) as StatusResponse
  assert.equal(Object.keys(json), ['leader', 'term', 'peers'])
  assert.equal(Object.keys(json.peers[0]!), ['id', 'addrs', 'labels', 'slots', 'freeSlots', 'role'])
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

reject('a propose response at index 0', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'propose-response', id: 1, index: 0, term: 1 })), 'MalformedMessageError', "Malformed client message: field 'index' must be at least 1 (log indices start at 1), got 0")
})

reject('a proposed command with an Error inside', () => {
  rejects(() => decodeClientMessage(encodeCbor({ type: 'propose-request', id: 1, command: [new Error('boom')] })), 'MalformedMessageError', "Malformed client message: field 'command[0]' must be plain data, got an Error")
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

roundTrip.run()
reject.run()
rejectJobs.run()

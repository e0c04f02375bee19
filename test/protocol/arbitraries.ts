/**
 * fast-check arbitraries of valid meshflow messages, shared by the codec and fuzz tests.
 * Values are restricted to what survives a cbor-x round trip unchanged (no bigints that
 * fit a number, no lone surrogates, no null-prototype objects, no `__proto__` keys).
 */
import fc from 'fast-check'
import type { LogEntry, RaftConfiguration, RaftEnvelope, RaftMessage } from '../../protocol/raft.ts'
import type { DataMessage } from '../../protocol/data.ts'
import type { MembershipMessage, PeerRole } from '../../protocol/membership.ts'
import type { ClientMessage, JobInfo, OperatorStateRef, SavepointInfo, StatusPeer, StatusRole, StatusWarning } from '../../protocol/client.ts'
import { CHECKPOINT_KINDS, CLIENT_ERROR_CODES, JOB_STATES, SAVEPOINT_STOP_MODES, TASK_REPORT_STATES, STATUS_WARNING_CODES } from '../../protocol/client.ts'
import { cidOf } from '../../protocol/cid.ts'

export const peerIdArb = fc.string({ unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'), minLength: 1, maxLength: 52 })
export const termArb = fc.nat({ max: 1_000_000 })
export const indexArb = fc.nat({ max: 1_000_000_000 })
/** fc.record without null-prototype objects (decoders always return plain objects). */
function rec<T> (model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true })
}
const keyArb = fc.string({ unit: 'binary', maxLength: 12 }).filter(k => k !== '__proto__')

/** Plain data as records and Raft commands carry it. */
export const plainValueArb: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 32 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5, noNullPrototype: true }),
    fc.array(fc.tuple(fc.string({ maxLength: 5 }), tie('value')), { maxLength: 3 }).map(entries => new Map(entries))
  )
})).value

/** Records of one shape, the common case the codec is tuned for. */
export const sensorRecordArb = rec({ sensor: fc.string({ maxLength: 8 }), ts: fc.nat(), value: fc.double({ noNaN: true }), ok: fc.boolean() })

const configArb: fc.Arbitrary<RaftConfiguration> = fc.uniqueArray(peerIdArb, { minLength: 1, maxLength: 9 }).chain(ids =>
  fc.integer({ min: 1, max: ids.length }).map(v => ({ voters: ids.slice(0, v), learners: ids.slice(v) })))

function entriesArb (prevLogIndex: number, prevLogTerm: number, term: number): fc.Arbitrary<LogEntry[]> {
  return fc.array(fc.tuple(fc.nat({ max: 3 }), fc.constantFrom('noop', 'config', 'command'), configArb, plainValueArb), { maxLength: 8 }).map(specs => {
    let t = prevLogTerm
    return specs.map(([bump, type, config, command], i): LogEntry => {
      t = Math.min(term, t + bump)
      const index = prevLogIndex + 1 + i
      if (type === 'noop') return { term: t, index, type }
      if (type === 'config') return { term: t, index, type, config }
      return { term: t, index, type, command }
    })
  })
}

export const raftMessageArb: fc.Arbitrary<RaftMessage> = fc.oneof(
  rec({ type: fc.constant('request-vote' as const), term: termArb, candidateId: peerIdArb, lastLogIndex: indexArb, lastLogTerm: termArb, preVote: fc.boolean(), transfer: fc.boolean() })
    .map(m => ({ ...m, lastLogTerm: Math.min(m.lastLogTerm, m.term) })),
  rec({ type: fc.constant('request-vote-response' as const), term: termArb, voteGranted: fc.boolean(), preVote: fc.boolean() }),
  fc.tuple(termArb, peerIdArb, indexArb, termArb, indexArb).chain(([term, leaderId, prevLogIndex, prevTerm, leaderCommit]) => {
    const prevLogTerm = Math.min(prevTerm, term)
    return entriesArb(prevLogIndex, prevLogTerm, term).map(entries => ({ type: 'append-entries' as const, term, leaderId, prevLogIndex, prevLogTerm, entries, leaderCommit }))
  }),
  rec({ type: fc.constant('append-entries-response' as const), term: termArb, success: fc.boolean(), matchIndex: indexArb, conflictIndex: indexArb }),
  rec({ type: fc.constant('timeout-now' as const), term: termArb, leaderId: peerIdArb }),
  fc.tuple(termArb, peerIdArb, indexArb, termArb, configArb, fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 1000 }), fc.nat({ max: 1000 }))
    .map(([term, leaderId, index, t, config, data, before, after]) => ({
      type: 'install-snapshot' as const,
      term,
      leaderId,
      meta: { index: Math.max(1, index), term: Math.max(1, Math.min(t, term)), config },
      size: before + data.byteLength + (data.byteLength === 0 ? 0 : after),
      offset: before,
      data
    }))
    .filter(m => m.term >= 1 && (m.data.byteLength > 0 || m.offset === m.size)),
  rec({ type: fc.constant('install-snapshot-response' as const), term: termArb, index: indexArb, received: fc.nat({ max: 1 << 20 }), done: fc.boolean() })
)

export const raftEnvelopeArb: fc.Arbitrary<RaftEnvelope> = rec({ from: peerIdArb, to: peerIdArb, message: raftMessageArb })

const roleArb = fc.constantFrom<PeerRole>('leader', 'follower', 'candidate', 'learner')
const addrsArb = fc.array(fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 65535 }), peerIdArb).map(([a, port, id]) => `/ip4/10.0.0.${a}/tcp/${port}/p2p/${id}`), { maxLength: 4 })
const labelsArb = fc.dictionary(
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-./0123456789'), minLength: 1, maxLength: 16 }).filter(k => k !== '__proto__'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  { maxKeys: 5, noNullPrototype: true }
)
const slotsArb = fc.nat({ max: 64 }).chain(slots => fc.nat({ max: slots }).map(freeSlots => ({ slots, freeSlots })))
const leaderArb = fc.option(fc.tuple(termArb, fc.option(peerIdArb, { nil: undefined })), { nil: undefined })
  .map(l => l === undefined ? {} : l[1] === undefined ? { term: l[0] } : { term: l[0], leaderId: l[1] })
const groupIdArb = fc.tuple(peerIdArb, fc.nat({ max: 2 ** 45 })).map(([id, at]) => `${id}@${at}`)
/** The Raft group fields of hellos and heartbeats: none, a group, or a group being founded. */
const groupArb = fc.option(fc.tuple(groupIdArb, fc.option(fc.uniqueArray(peerIdArb, { minLength: 1, maxLength: 5 }), { nil: undefined })), { nil: undefined })
  .map(g => g === undefined ? {} : g[1] === undefined ? { group: g[0] } : { group: g[0], founding: g[1] })

export const membershipMessageArb: fc.Arbitrary<MembershipMessage> = fc.oneof(
  fc.tuple(rec({ peerId: peerIdArb, addrs: addrsArb, labels: labelsArb, version: fc.constantFrom('0.1.0', '1.2.3-beta.1'), startedAt: fc.nat({ max: 2 ** 45 }), role: roleArb }), slotsArb, leaderArb, groupArb)
    .map(([m, s, l, g]) => ({ type: 'hello' as const, ...m, ...s, ...l, ...g })),
  fc.tuple(rec({ peerId: peerIdArb, seq: fc.nat(), freeSlots: fc.nat({ max: 64 }), role: roleArb }), leaderArb, groupArb)
    .map(([m, l, g]) => ({ type: 'heartbeat' as const, ...m, ...l, ...g })),
  rec({ type: fc.constant('goodbye' as const), peerId: peerIdArb, reason: fc.constantFrom('stopped', 'SIGTERM', '') })
)

const statusPeerArb: fc.Arbitrary<StatusPeer> = fc.tuple(peerIdArb, addrsArb, labelsArb, slotsArb, fc.constantFrom<StatusRole>('leader', 'follower', 'candidate', 'learner', 'lost'))
  .map(([id, addrs, labels, s, role]) => ({ id, addrs, labels, ...s, role }))

const jobIdArb = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 24 })
const jobStateArb = fc.constantFrom(...JOB_STATES)
/** Error texts: anything printable, with tabs and line breaks, sometimes absent. */
const errorArb = fc.option(fc.oneof(fc.constantFrom('', 'Job code failed to load:\n  at main.js:3\tboom', 'Canceled by the user'), fc.string({ unit: 'grapheme', maxLength: 40 })), { nil: undefined })
const cidArb = fc.uint8Array({ maxLength: 16 }).map(bytes => cidOf(bytes).toString())
const argsArb = fc.dictionary(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }).filter(k => k !== '__proto__'),
  fc.string({ unit: 'binary', maxLength: 20 }),
  { maxKeys: 5, noNullPrototype: true }
)
/** Leaves out an optional field that is undefined, as the decoder does. */
type OmitUndefined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> }
function omitUndefined<T extends object> (o: T): OmitUndefined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as OmitUndefined<T>
}
/** Savepoint names: no control characters, no '/'. */
// eslint-disable-next-line no-control-regex
export const savepointNameArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter(n => n.length <= 200 && /^[^\u0000-\u001f\u007f-\u009f/]+$/.test(n))
/** Checkpoint ids, including the final one (`Number.MAX_SAFE_INTEGER`). */
const checkpointIdArb = fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER))
const epochMsArb = fc.integer({ min: 0, max: 2 ** 45 })
const checkpointsArb = fc.oneof(
  rec({ completed: fc.constant(0) }),
  rec({ completed: fc.integer({ min: 1, max: 10_000 }), latest: rec({ id: checkpointIdArb, cid: cidArb, at: epochMsArb }) })
)
const restoreHistoryArb = fc.array(rec({ attempt: fc.nat({ max: 1000 }), checkpointId: fc.option(checkpointIdArb, { nil: null }), at: epochMsArb }), { maxLength: 5 })
const jobInfoArb: fc.Arbitrary<JobInfo> = rec({
  id: jobIdArb,
  name: fc.constantFrom('sensor-job', 'word count', 'Ünïcode job'),
  state: jobStateArb,
  restarts: fc.nat({ max: 100 }),
  tasks: fc.array(rec({ vertex: fc.constantFrom('source-1', 'map', 'window-agg', 'sink'), subtask: fc.nat({ max: 32_767 }), peer: peerIdArb }), { maxLength: 6 }),
  error: errorArb,
  checkpoints: fc.option(checkpointsArb, { nil: undefined }),
  restoreHistory: fc.option(restoreHistoryArb, { nil: undefined })
}).map(omitUndefined)
const savepointInfoArb: fc.Arbitrary<SavepointInfo> = rec({
  name: savepointNameArb, jobId: jobIdArb, jobName: fc.constantFrom('sensor-job', 'word count'), checkpointId: checkpointIdArb, cid: cidArb, createdAt: epochMsArb
})
const statusWarningArb: fc.Arbitrary<StatusWarning> = fc.tuple(
  fc.constantFrom(...STATUS_WARNING_CODES), fc.constantFrom('no quorum: 2 of 3 voters lost (a, b)', 'split mesh: x belongs to Raft group x@2'),
  fc.uniqueArray(peerIdArb, { maxLength: 3 }), fc.option(groupIdArb, { nil: undefined })
).map(([code, message, peers, group]) => ({ code, message, peers, ...(group === undefined ? {} : { group }) }))

const operatorStateArb: fc.Arbitrary<OperatorStateRef> = rec({
  operatorId: fc.constantFrom('source-1', 'window-agg', 'revenue-per-store', 'sink:0'),
  keyed: fc.array(cidArb, { maxLength: 4 }),
  list: fc.array(plainValueArb, { maxLength: 4 })
})

const datasetNameArb = fc.constantFrom('sales', 'stores_v2', 'a.b-c', '_x')
const partitioningArb = fc.oneof(
  fc.integer({ min: 1, max: 4096 }).map(partitions => ({ kind: 'round-robin' as const, partitions })),
  fc.integer({ min: 1, max: 4096 }).map(partitions => ({ kind: 'hash' as const, column: 'store', partitions }))
)
const datasetDetailArb = fc.tuple(partitioningArb.filter(p => p.partitions <= 4), fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), peerIdArb, fc.nat())
  .map(([partitioning, pins, peer, n]) => ({
    name: 'sales',
    version: pins.length,
    schema: { columns: [{ name: 'store', type: 'string' as const }, { name: 'amount', type: 'number' as const }, { name: 'qty', type: 'int64' as const }] },
    partitioning,
    rows: n,
    bytes: n * 8,
    createdAt: 1_700_000_000_000,
    versions: pins.map((pinned, i) => ({ version: i + 1, cid: cidOf(Uint8Array.of(i)).toString(), rows: i, bytes: i * 8, createdAt: i, pinned })),
    partitions: Array.from({ length: partitioning.partitions }, (_, p) => ({ partition: p, segments: p, rows: p * 10, bytes: p * 80, holders: p === 0 ? [] : [{ peer, segments: p, bytes: p * 80 }] }))
  }))

export const clientMessageArb: fc.Arbitrary<ClientMessage> = fc.oneof(
  rec({ type: fc.constant('datasets-request' as const), id: fc.nat() }),
  rec({
    type: fc.constant('datasets-response' as const),
    id: fc.nat(),
    datasets: fc.uniqueArray(rec({
      name: datasetNameArb, version: fc.integer({ min: 1, max: 2 ** 40 }), cid: cidArb, partitions: fc.integer({ min: 1, max: 4096 }), rows: fc.nat(), bytes: fc.nat(),
      segments: fc.nat({ max: 4096 }), versions: fc.integer({ min: 1, max: 5 }), createdAt: fc.nat()
    }), { maxLength: 3, selector: d => d.name })
  }),
  rec({ type: fc.constant('dataset-show' as const), id: fc.nat(), name: datasetNameArb }),
  rec({ type: fc.constant('dataset-show-response' as const), id: fc.nat(), dataset: datasetDetailArb }),
  rec({
    type: fc.constant('dataset-commit' as const), id: fc.nat(), name: datasetNameArb, manifestCid: cidArb,
    expectedVersion: fc.option(fc.nat(), { nil: undefined }), commitId: fc.option(fc.constantFrom('sink-1/cp-3', 'x'), { nil: undefined }), mode: fc.option(fc.constantFrom('append' as const, 'overwrite' as const), { nil: undefined })
  }).map(omitUndefined),
  rec({ type: fc.constant('dataset-commit-response' as const), id: fc.nat(), name: datasetNameArb, version: fc.integer({ min: 1, max: 1000 }), cid: cidArb }),
  rec({ type: fc.constant('dataset-drop' as const), id: fc.nat(), name: datasetNameArb }),
  rec({ type: fc.constant('dataset-drop-response' as const), id: fc.nat(), name: datasetNameArb }),
  rec({ type: fc.constant('status-request' as const), id: fc.nat() }),
  fc.tuple(
    rec({ type: fc.constant('status-response' as const), id: fc.nat(), leader: fc.option(peerIdArb, { nil: null }), term: termArb, peers: fc.uniqueArray(statusPeerArb, { maxLength: 5, selector: p => p.id }) }),
    fc.record({ group: groupIdArb, voters: fc.uniqueArray(peerIdArb, { maxLength: 5 }), warnings: fc.array(statusWarningArb, { minLength: 1, maxLength: 3 }) }, { requiredKeys: [], noNullPrototype: true })
  ).map(([m, extras]) => ({ ...m, ...extras })),
  rec({ type: fc.constant('mark-request' as const), id: fc.nat(), text: fc.string({ maxLength: 256 }).filter(t => !/[\u0000-\u001f\u007f-\u009f]/.test(t)) }),
  rec({ type: fc.constant('mark-response' as const), id: fc.nat(), index: fc.integer({ min: 1, max: 2 ** 40 }), term: termArb }),
  rec({ type: fc.constant('error-response' as const), id: fc.nat(), code: fc.constantFrom(...Object.values(CLIENT_ERROR_CODES)), message: fc.constantFrom('No leader is known', 'Unknown job \'x\''), retriable: fc.boolean() }),
  rec({ type: fc.constant('leader-redirect' as const), id: fc.nat(), leaderId: peerIdArb, addrs: addrsArb }),
  fc.tuple(fc.integer({ min: 1, max: 65_536 }), fc.option(fc.integer({ min: 1, max: 32_768 }), { nil: undefined }))
    .chain(([p, max]) => rec({
      type: fc.constant('submit-job' as const),
      id: fc.nat(),
      name: fc.constantFrom('sensor-job', 'word count'),
      codeCid: cidArb,
      args: argsArb,
      parallelism: fc.constant(max === undefined ? p : Math.min(p, max)),
      maxParallelism: fc.constant(max),
      submitter: peerIdArb,
      fromSavepoint: fc.option(savepointNameArb, { nil: undefined }),
      allowNonRestoredState: fc.option(fc.boolean(), { nil: undefined }),
      jobId: fc.option(fc.uuid({ version: 4 }), { nil: undefined })
    }).map(omitUndefined)),
  rec({ type: fc.constant('submit-job-response' as const), id: fc.nat(), jobId: jobIdArb }),
  rec({ type: fc.constant('jobs-request' as const), id: fc.nat() }),
  rec({ type: fc.constant('jobs-response' as const), id: fc.nat(), jobs: fc.uniqueArray(jobInfoArb, { maxLength: 4, selector: j => j.id }) }),
  rec({ type: fc.constant('cancel-job' as const), id: fc.nat(), jobId: jobIdArb }),
  rec({ type: fc.constant('cancel-job-response' as const), id: fc.nat(), jobId: jobIdArb, state: jobStateArb }),
  rec({ type: fc.constant('await-job' as const), id: fc.nat(), jobId: jobIdArb }),
  rec({ type: fc.constant('job-result' as const), id: fc.nat(), jobId: jobIdArb, state: jobStateArb, error: errorArb }).map(omitUndefined),
  rec({ type: fc.constant('task-report' as const), id: fc.nat(), jobId: jobIdArb, attempt: fc.nat({ max: 1000 }), peer: peerIdArb, state: fc.constantFrom(...TASK_REPORT_STATES), error: errorArb }).map(omitUndefined),
  rec({ type: fc.constant('task-report-ack' as const), id: fc.nat() }),
  rec({ type: fc.constant('trigger-savepoint' as const), id: fc.nat(), jobId: jobIdArb, name: savepointNameArb, stop: fc.option(fc.constantFrom(...SAVEPOINT_STOP_MODES), { nil: undefined }) }).map(omitUndefined),
  rec({ type: fc.constant('savepoint-response' as const), id: fc.nat(), jobId: jobIdArb, name: savepointNameArb, checkpointId: checkpointIdArb, cid: cidArb }),
  rec({ type: fc.constant('savepoints-request' as const), id: fc.nat() }),
  rec({ type: fc.constant('savepoints-response' as const), id: fc.nat(), savepoints: fc.uniqueArray(savepointInfoArb, { maxLength: 4, selector: p => p.name }) }),
  rec({ type: fc.constant('delete-savepoint' as const), id: fc.nat(), name: savepointNameArb }),
  rec({ type: fc.constant('delete-savepoint-response' as const), id: fc.nat(), name: savepointNameArb }),
  rec({ type: fc.constant('trigger-checkpoint' as const), id: fc.nat(), term: termArb, leaderId: peerIdArb, jobId: jobIdArb, attempt: fc.nat({ max: 1000 }), checkpointId: checkpointIdArb, kind: fc.constantFrom(...CHECKPOINT_KINDS) }),
  rec({ type: fc.constant('trigger-checkpoint-response' as const), id: fc.nat(), accepted: fc.boolean(), lastCheckpointId: checkpointIdArb }),
  rec({
    type: fc.constant('checkpoint-ack' as const),
    id: fc.nat(),
    jobId: jobIdArb,
    attempt: fc.nat({ max: 1000 }),
    checkpointId: checkpointIdArb,
    peer: peerIdArb,
    vertex: fc.constantFrom('source-1', 'window-agg', 'sink'),
    subtask: fc.nat({ max: 32_767 }),
    operators: fc.uniqueArray(operatorStateArb, { maxLength: 3, selector: o => o.operatorId })
  }),
  rec({ type: fc.constant('checkpoint-decline' as const), id: fc.nat(), jobId: jobIdArb, attempt: fc.nat({ max: 1000 }), checkpointId: checkpointIdArb, peer: peerIdArb, reason: fc.constantFrom('Task failed:\n\tboom', 'Checkpoint expired', 'x') }),
  rec({ type: fc.constant('checkpoint-ack-response' as const), id: fc.nat(), accepted: fc.boolean() })
)

const channelArb = fc.nat({ max: 0xffff_ffff })
const timestampArb = fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.constant(Number.NEGATIVE_INFINITY), fc.double({ noNaN: true }))

export const dataMessageArb: fc.Arbitrary<DataMessage> = fc.oneof(
  rec({ type: fc.constant('open-channel' as const), channel: channelArb, jobId: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-ascii' }), attempt: fc.nat(), producerVertex: fc.constantFrom('source-1', 'map', 'window-agg'), producerSubtask: fc.nat({ max: 127 }), consumerVertex: fc.constantFrom('sink', 'window-agg'), consumerSubtask: fc.nat({ max: 127 }) }),
  fc.tuple(channelArb, fc.array(fc.tuple(fc.oneof(sensorRecordArb, plainValueArb), timestampArb), { maxLength: 40 }))
    .map(([channel, pairs]) => ({ type: 'records' as const, channel, values: pairs.map(p => p[0]), timestamps: pairs.map(p => p[1]) })),
  rec({ type: fc.constant('watermark' as const), channel: channelArb, timestamp: fc.oneof(timestampArb, fc.constant(Number.POSITIVE_INFINITY)) }),
  rec({ type: fc.constant('status' as const), channel: channelArb, idle: fc.boolean() }),
  rec({ type: fc.constant('end' as const), channel: channelArb }),
  rec({ type: fc.constant('credit' as const), channel: channelArb, credits: fc.integer({ min: 1, max: 1_000_000 }) })
)

/** Throws unless `fn` throws an error named `name` whose message matches `message`. */
export function rejects (fn: () => unknown, name: string, message: string | RegExp): Error {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  if (thrown === undefined) throw new Error(`Expected ${name} matching ${String(message)}, but nothing was thrown`)
  const err = thrown as Error
  if (err.name !== name) throw new Error(`Expected ${name}, got ${err.name}: ${err.message}`, { cause: err })
  const ok = typeof message === 'string' ? err.message === message : message.test(err.message)
  if (!ok) throw new Error(`Expected message ${String(message)}, got ${JSON.stringify(err.message)}`)
  return err
}

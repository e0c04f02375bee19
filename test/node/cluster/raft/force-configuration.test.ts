/**
 * RaftCore.forceConfiguration (`--force-new-mesh`) and bootstrap of a node that already
 * voted (`--bootstrap-expect`), driven by hand.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RaftCore } from '../../../../node/cluster/raft/raft-core.ts'
import type { LogEntry } from '../../../../protocol/raft.ts'

const force = suite('RaftCore.forceConfiguration')

const entries: LogEntry[] = [
  { term: 1, index: 1, type: 'config', config: { voters: ['a', 'b', 'c'], learners: [] } },
  { term: 2, index: 2, type: 'noop' },
  { term: 2, index: 3, type: 'command', command: 'x' }
]

/** Takes every Ready (as if persisted and sent) and returns what was committed. */
function drain (core: RaftCore): LogEntry[] {
  const out: LogEntry[] = []
  while (core.hasReady()) {
    const r = core.ready()
    out.push(...r.committed)
    core.advance(r)
  }
  return out
}

force('a node of a group that lost its quorum becomes its only voter, commits its whole log and elects itself', () => {
  const core = new RaftCore({}, { id: 'b', restore: { hardState: { term: 3, votedFor: 'a' }, entries } })
  const index = core.forceConfiguration({ voters: ['b'], learners: [] })
  assert.is(index, 4)
  assert.is(core.term, 4)
  assert.equal(core.configuration, { voters: ['b'], learners: [] })
  assert.equal(drain(core).map(e => e.index), [1, 2, 3, 4])
  for (let i = 0; i < 40 && core.role !== 'leader'; i++) {
    core.tick()
    drain(core)
  }
  assert.is(core.role, 'leader')
  const noop = core.lastIndex
  drain(core)
  assert.is(core.commitIndex, noop)
})

force('refuses a node without a log', () => {
  const core = new RaftCore({}, { id: 'b' })
  assert.throws(() => core.forceConfiguration({ voters: ['b'], learners: [] }), (e: Error) => e.name === 'BootstrapError' && /no log/.test(e.message))
})

force.run()

const bootstrap = suite('RaftCore.bootstrap')

bootstrap('a node that voted before it learnt the configuration keeps its term and vote', () => {
  const core = new RaftCore({}, { id: 'b', restore: { hardState: { term: 2, votedFor: 'a' }, entries: [] } })
  core.bootstrap({ voters: ['a', 'b', 'c'], learners: [] })
  assert.is(core.term, 2)
  assert.is(core.votedFor, 'a')
  assert.equal(core.entries(), [entries[0]])
  assert.is(core.commitIndex, 1)
})

bootstrap.run()

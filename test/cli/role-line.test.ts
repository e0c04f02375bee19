import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { peerLine, roleLine } from '../../node/cli/role-line.ts'

const L = '12D3KooWLeader'
const roles = suite('roleLine')

roles('names the role, what it does in the mesh, the term and the leader when known', () => {
  assert.is(roleLine({ role: 'leader', term: 3, leaderId: 'self' }), 'role leader (JobManager) term 3')
  assert.is(roleLine({ role: 'follower', term: 3, leaderId: L }), `role follower (TaskManager) term 3 leader ${L}`)
  assert.is(roleLine({ role: 'follower', term: 4, leaderId: undefined }), 'role follower (TaskManager) term 4')
  assert.is(roleLine({ role: 'learner', term: 3, leaderId: L }), `role learner (TaskManager, non-voting) term 3 leader ${L}`)
  assert.is(roleLine({ role: 'candidate', term: 5, leaderId: undefined }), 'role candidate term 5')
})

roles('peerLine says joined, lost or left', () => {
  assert.is(peerLine('joined', L), `peer joined ${L}`)
  assert.is(peerLine('lost', L), `peer lost ${L}`)
  assert.is(peerLine('left', L), `peer left ${L}`)
})

roles.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BLOCKS_PROTOCOL, CLIENT_PROTOCOL, DATA_PROTOCOL, MEMBERSHIP_PROTOCOL, PROTOCOL_IDS, RAFT_PROTOCOL, protocolId } from '../../protocol/ids.ts'

const ids = suite('protocol ids')

ids('are /meshflow/<name>/<version>', () => {
  assert.is(RAFT_PROTOCOL, '/meshflow/raft/1')
  assert.is(MEMBERSHIP_PROTOCOL, '/meshflow/membership/1')
  assert.is(CLIENT_PROTOCOL, '/meshflow/client/1')
  assert.is(DATA_PROTOCOL, '/meshflow/data/2')
  assert.is(BLOCKS_PROTOCOL, '/meshflow/blocks/1')
  assert.is(protocolId('x', 2), '/meshflow/x/2')
})

ids('PROTOCOL_IDS lists each protocol once', () => {
  const all = Object.values(PROTOCOL_IDS)
  assert.is(new Set(all).size, 5)
  for (const id of all) assert.match(id, /^\/meshflow\/[a-z]+\/\d+$/)
})

ids.run()

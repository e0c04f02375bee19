import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FencingGuard } from '../../../node/cluster/fencing.ts'

const fencing = suite('FencingGuard')

fencing('accepts commands of the current and newer terms', () => {
  const g = new FencingGuard()
  g.check({ term: 1, leaderId: 'a' })
  g.check({ term: 1, leaderId: 'a' })
  g.check({ term: 3, leaderId: 'b' })
  assert.equal(g.current, { term: 3, leaderId: 'b' })
})

fencing('rejects a command of an older term, naming both leaders and terms', () => {
  const g = new FencingGuard()
  g.check({ term: 5, leaderId: 'new' })
  assert.throws(() => { g.check({ term: 4, leaderId: 'old' }) }, (err: Error) =>
    err.name === 'StaleLeaderError' && /old.*term 4.*term 5.*new/.test(err.message))
  assert.equal(g.current, { term: 5, leaderId: 'new' })
})

fencing('rejects a second leader claiming the same term', () => {
  const g = new FencingGuard()
  g.check({ term: 2, leaderId: 'a' })
  assert.throws(() => { g.check({ term: 2, leaderId: 'b' }) }, (err: Error) => err.name === 'StaleLeaderError')
})

fencing('a newer term learned by observation fences the old leader before its next command', () => {
  const g = new FencingGuard()
  g.check({ term: 2, leaderId: 'a' })
  g.observe({ term: 3, leaderId: 'b' })
  assert.throws(() => { g.check({ term: 2, leaderId: 'a' }) }, (err: Error) => err.name === 'StaleLeaderError')
  g.observe({ term: 1, leaderId: 'z' })
  assert.equal(g.current, { term: 3, leaderId: 'b' })
})

fencing.run()

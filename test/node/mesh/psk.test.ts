import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createPsk, parsePsk } from '../../../node/mesh/psk.ts'

const psk = suite('parsePsk')

psk('accepts what createPsk makes, normalised to swarm.key bytes', () => {
  const text = createPsk()
  const bytes = parsePsk(text)
  assert.is(new TextDecoder().decode(bytes), text.trimEnd().toLowerCase())
  assert.is(bytes.length, 95)
})

psk('accepts CRLF line ends and upper-case hex', () => {
  const hex = 'AB'.repeat(32)
  const bytes = parsePsk(`/key/swarm/psk/1.0.0/\r\n/base16/\r\n${hex}\r\n`)
  assert.is(new TextDecoder().decode(bytes), `/key/swarm/psk/1.0.0/\n/base16/\n${hex.toLowerCase()}`)
})

psk('rejects a wrong header, a short key and non-hex digits, naming the source', () => {
  for (const bad of ['/key/swarm/psk/2.0.0/\n/base16/\n' + 'a'.repeat(64), '/key/swarm/psk/1.0.0/\n/base16/\n' + 'a'.repeat(63), '/key/swarm/psk/1.0.0/\n/base16/\n' + 'g'.repeat(64), '']) {
    assert.throws(() => parsePsk(bad, 'swarm.key'), (err: Error) => err.name === 'InvalidPskError' && err.message.includes('swarm.key'))
  }
})

psk.run()

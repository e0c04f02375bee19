import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { LineSplitter } from 'meshflow/connectors/files'

const test = suite('LineSplitter')

/** Feeds `bytes` cut at `cuts` and returns every line. */
function split (bytes: Buffer, cuts: number[] = []): string[] {
  const s = new LineSplitter()
  const lines: string[] = []
  let from = 0
  for (const at of [...cuts.filter(c => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    // a copy: the splitter keeps chunks, as the reader hands it fresh buffers
    s.push(Buffer.from(bytes.subarray(from, at)))
    from = at
    for (let l = s.next(); l !== undefined; l = s.next()) lines.push(l)
  }
  s.end()
  for (let l = s.next(); l !== undefined; l = s.next()) lines.push(l)
  assert.ok(s.done)
  return lines
}

test('splits LF and CRLF lines and drops the terminators', () => {
  assert.equal(split(Buffer.from('a\nbb\r\nccc\n')), ['a', 'bb', 'ccc'])
})

test('returns a final line without newline only after end()', () => {
  const s = new LineSplitter()
  s.push(Buffer.from('one\ntwo'))
  assert.is(s.next(), 'one')
  assert.is(s.next(), undefined)
  assert.is(s.pendingBytes, 3)
  s.end()
  assert.is(s.next(), 'two')
  assert.is(s.next(), undefined)
  assert.ok(s.done)
})

test('returns empty lines as empty strings', () => {
  assert.equal(split(Buffer.from('\n\r\na\n\n')), ['', '', 'a', ''])
})

test('joins a CRLF cut between CR and LF', () => {
  const bytes = Buffer.from('ab\r\ncd\r\n')
  assert.equal(split(bytes, [3]), ['ab', 'cd'])
  assert.equal(split(bytes, [2, 3]), ['ab', 'cd'])
})

test('keeps multi-byte characters whole when a chunk boundary cuts them', () => {
  const text = 'é\n€uro\n🎉 ok\r\nnaïve'
  const bytes = Buffer.from(text)
  for (let at = 1; at < bytes.length; at++) {
    assert.equal(split(bytes, [at]), ['é', '€uro', '🎉 ok', 'naïve'], `cut at byte ${at}`)
  }
  // every byte its own chunk
  assert.equal(split(bytes, Array.from({ length: bytes.length }, (_, i) => i)), ['é', '€uro', '🎉 ok', 'naïve'])
})

test('gives the same lines for any chunking', () => {
  const line = fc.string({ unit: 'grapheme', maxLength: 12 }).map(s => s.replace(/[\r\n]/g, ''))
  fc.assert(fc.property(
    fc.array(line, { maxLength: 12 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(200), { maxLength: 8 }),
    (lines, crlf, trailing, cuts) => {
      const text = lines.join(crlf ? '\r\n' : '\n') + (trailing && lines.length > 0 ? '\n' : '')
      // without a trailing newline an empty last line is no line at all
      const expected = !trailing && lines.at(-1) === '' ? lines.slice(0, -1) : lines
      assert.equal(split(Buffer.from(text), cuts), expected)
    }))
})

test('tracks the byte offset of the next unread line', () => {
  const s = new LineSplitter(100)
  s.push(Buffer.from('ab\r\n€\nxy'))
  assert.is(s.offset, 100)
  s.next()
  assert.is(s.offset, 104)
  s.next()
  assert.is(s.offset, 108)
  assert.is(s.next(), undefined)
  assert.is(s.offset, 108)
  s.push(Buffer.from('z\n'))
  assert.is(s.next(), 'xyz')
  assert.is(s.offset, 112)
})

test('drops a byte-order mark at the start of the file only', () => {
  assert.equal(split(Buffer.from('\uFEFFa\n\uFEFFb\n')), ['a', '\uFEFFb'])
  const resumed = new LineSplitter(5)
  resumed.push(Buffer.from('\uFEFFb\n'))
  assert.is(resumed.next(), '\uFEFFb')
})

test.run()

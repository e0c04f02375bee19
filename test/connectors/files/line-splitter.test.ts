import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { LineSplitter, encodeCsvRow, parseCsvLine, type LineSplitterInit } from 'meshflow/connectors/files'

const test = suite('LineSplitter')

/** Feeds `bytes` cut at `cuts` and returns every line, with the line count and offset after each. */
function splitWith (bytes: Buffer, cuts: number[] = [], init: LineSplitterInit = {}): { lines: string[], lineCounts: number[], offsets: number[] } {
  const s = new LineSplitter(0, init)
  const lines: string[] = []
  const lineCounts: number[] = []
  const offsets: number[] = []
  const take = (): void => {
    for (let l = s.next(); l !== undefined; l = s.next()) {
      lines.push(l)
      lineCounts.push(s.lineCount)
      offsets.push(s.offset)
    }
  }
  let from = 0
  for (const at of [...cuts.filter(c => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    // a copy: the splitter keeps chunks, as the reader hands it fresh buffers
    s.push(Buffer.from(bytes.subarray(from, at)))
    from = at
    take()
  }
  s.end()
  take()
  assert.ok(s.done)
  return { lines, lineCounts, offsets }
}

function split (bytes: Buffer, cuts: number[] = []): string[] {
  return splitWith(bytes, cuts).lines
}

const CSV = { quotedFields: { delimiter: ',' } }

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

test('with quotedFields, keeps line breaks inside quoted fields and counts the lines of each record', () => {
  const text = 'id,note\n1,"two\nlines"\r\n2,"crlf\r\nin ""q""\n"\n3,x\n'
  const { lines, lineCounts } = splitWith(Buffer.from(text), [], CSV)
  assert.equal(lines, ['id,note', '1,"two\nlines"', '2,"crlf\r\nin ""q""\n"', '3,x'])
  assert.equal(lineCounts, [1, 2, 3, 1])
})

test('with quotedFields, a quote inside an unquoted field is text and does not join lines', () => {
  assert.equal(splitWith(Buffer.from('a,b"c\nd,"e\nf"\n'), [], CSV).lines, ['a,b"c', 'd,"e\nf"'])
  assert.equal(splitWith(Buffer.from('"a"x"\ny\n'), [], CSV).lines, ['"a"x"', 'y'])
})

test('with quotedFields, a quoted field left open runs to the end of the file', () => {
  const { lines, lineCounts } = splitWith(Buffer.from('a\n"open\nmore\n'), [], CSV)
  assert.equal(lines, ['a', '"open\nmore'])
  assert.equal(lineCounts, [1, 2])
})

test('with quotedFields, a quote after a byte-order mark or a multi-character delimiter opens a field', () => {
  assert.equal(splitWith(Buffer.from('\uFEFF"a\nb",c\n'), [], CSV).lines, ['"a\nb",c'])
  assert.equal(splitWith(Buffer.from('x::"a\nb"\ny:"\nz\n'), [], { quotedFields: { delimiter: '::' } }).lines, ['x::"a\nb"', 'y:"', 'z'])
})

test('with quotedFields, gives the same records wherever a chunk boundary falls', () => {
  // doubled quotes before line breaks, CRLF inside and after quoted fields, an empty quoted field
  const rows = [['a"\nb', 'x'], ['"\r\n', ''], ['', '"'], ['c', 'd\r\n"e"\n']]
  const text = rows.map(r => encodeCsvRow(r)).join('\r\n') + '\n'
  const bytes = Buffer.from(text)
  for (let at = 1; at < bytes.length; at++) {
    assert.equal(splitWith(bytes, [at], CSV).lines.map(l => parseCsvLine(l)), rows, `cut at byte ${at}`)
  }
  assert.equal(splitWith(bytes, Array.from({ length: bytes.length }, (_, i) => i), CSV).lines.map(l => parseCsvLine(l)), rows)
})

test('with quotedFields, gives the same records, line counts and offsets for any chunking', () => {
  const field = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r', '"', '""', ',', ';', ':', 'a\nb "c", d'))
  fc.assert(fc.property(
    fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(',', ';', '::'),
    fc.boolean(), fc.boolean(), fc.array(fc.nat(120), { maxLength: 10 }),
    (rows, delimiter, crlf, trailing, cuts) => {
      const eol = crlf ? '\r\n' : '\n'
      const encoded = rows.map(r => encodeCsvRow(r, delimiter))
      const text = encoded.join(eol) + (trailing ? eol : '')
      const { lines, lineCounts, offsets } = splitWith(Buffer.from(text), cuts, { quotedFields: { delimiter } })
      assert.equal(lines, encoded)
      assert.equal(lines.map(l => parseCsvLine(l, delimiter)), rows)
      assert.equal(lineCounts, encoded.map(e => e.split('\n').length))
      let at = 0
      assert.equal(offsets, encoded.map((e, i) => (at += Buffer.byteLength(e) + (i < encoded.length - 1 || trailing ? eol.length : 0))))
    }))
})

test.run()

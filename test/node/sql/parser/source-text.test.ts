/**
 * SourceText and blank: line/column (columns in code points, as the parser library
 * counts) to offsets and back, and blanking that keeps every line and column.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { SourceText, blank } from '../../../../node/sql/parser/source-text.ts'

const Source = suite('SourceText')

Source('maps line and column to offsets and back, over \\n, \\r\\n and characters outside the BMP', () => {
  const s = new SourceText('SELECT 1\r\nFROM t\n  WHERE')
  assert.equal(s.pos(2, 6), { line: 2, column: 6, offset: 15 })
  assert.equal(s.posAt(15), { line: 2, column: 6, offset: 15 })
  assert.equal(s.pos(3, 3), { line: 3, column: 3, offset: 19 })
  assert.equal(s.endPos(), { line: 3, column: 8, offset: 24 })
  const u = new SourceText("'😀' x\n😀y")
  assert.equal(u.pos(1, 5), { line: 1, column: 5, offset: 5 })
  assert.equal(u.posAt(5), { line: 1, column: 5, offset: 5 })
  assert.equal(u.pos(2, 2), { line: 2, column: 2, offset: 9 })
})

Source('pos and posAt are inverse at every character start (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom('a', ' ', '\n', '😀', 'é', '\t') }), text => {
    const s = new SourceText(text)
    for (let o = 0; o <= text.length; o++) {
      const code = text.charCodeAt(o)
      if (code >= 0xdc00 && code <= 0xdfff) continue
      const p = s.posAt(o)
      assert.equal(s.pos(p.line, p.column), p)
    }
  }))
})

Source('blank replaces each code point by one space and keeps line breaks', () => {
  assert.is(blank('ab\ncd😀e', 1, 7), 'a \n   e')
  const text = "x 😀\ny"
  const out = blank(text, 0, 4)
  assert.is(out, '   \ny')
})

Source.run()

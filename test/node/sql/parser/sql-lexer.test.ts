/**
 * lexSql: strings (with '' and E'\'' escapes), quoted names, comments, words, numbers and
 * punctuation with their offsets; what a text leaves open at its end.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { lexSql, closingParen, tokenIndexAt } from '../../../../node/sql/parser/sql-lexer.ts'

const Lexer = suite('lexSql')

Lexer('yields words, strings, quoted names, numbers and punctuation, skipping comments', () => {
  const text = "SELECT a1, 'it''s', \"x\"\"y\", `b`, 1.5e3, E'\\'q' -- c\n/* d */ <= <> || :: => é_ü"
  assert.equal(lexSql(text).tokens.map(t => [t.kind, t.text]), [
    ['word', 'SELECT'], ['word', 'a1'], ['punct', ','], ['string', "'it''s'"], ['punct', ','], ['quoted', '"x""y"'], ['punct', ','],
    ['quoted', '`b`'], ['punct', ','], ['number', '1.5e3'], ['punct', ','], ['string', "E'\\'q'"],
    ['punct', '<='], ['punct', '<>'], ['punct', '||'], ['punct', '::'], ['punct', '=>'], ['word', 'é_ü']
  ])
  for (const t of lexSql(text).tokens) assert.is(text.slice(t.start, t.end), t.text)
})

Lexer('says what is left open at the end', () => {
  assert.is(lexSql("SELECT 'a").unterminated, 'string')
  assert.is(lexSql('SELECT "a').unterminated, 'quoted')
  assert.is(lexSql('SELECT /* a').unterminated, 'comment')
  assert.is(lexSql('SELECT 1 -- a').unterminated, undefined)
})

Lexer('never throws and its tokens are slices of the text, in order (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60, unit: 'binary' }), text => {
    let end = 0
    for (const t of lexSql(text).tokens) {
      assert.ok(t.start >= end && t.end > t.start)
      assert.is(text.slice(t.start, t.end), t.text)
      end = t.end
    }
  }))
})

Lexer('closingParen and tokenIndexAt find the matching ) and the token at an offset', () => {
  const { tokens } = lexSql('f(a, (b), c) + 1')
  assert.is(closingParen(tokens, 1), 9)
  assert.is(closingParen(lexSql('f(a').tokens, 1), -1)
  assert.is(tokenIndexAt(tokens, 0), 0)
  assert.is(tokenIndexAt(tokens, 13), 10)
  assert.is(tokenIndexAt(tokens, 100), tokens.length)
})

Lexer.run()

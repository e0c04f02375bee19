/**
 * splitStatements and isCompleteStatement: `;` ends a statement only outside strings,
 * quoted names, comments and parentheses; each statement knows where it starts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { splitStatements, isCompleteStatement } from '../../../../node/sql/parser/index.ts'

const Split = suite('splitStatements')

Split('splits at top-level semicolons with each start offset, line and column', () => {
  const text = 'SELECT 1;\n  SELECT 2 ;\n\nINSERT INTO t SELECT 3'
  assert.equal(splitStatements(text), [
    { text: 'SELECT 1', offset: 0, line: 1, column: 1, terminated: true },
    { text: 'SELECT 2', offset: 12, line: 2, column: 3, terminated: true },
    { text: 'INSERT INTO t SELECT 3', offset: 24, line: 4, column: 1, terminated: false }
  ])
})

Split("ignores ; inside strings, quoted names, comments and parentheses, and skips empty statements", () => {
  const text = "SELECT ';' AS \"a;b\", `c;d` FROM t -- x;y\n;; /* ; */ SELECT (1;2); SELECT 'it''s;'"
  assert.equal(splitStatements(text).map(s => s.text), [
    "SELECT ';' AS \"a;b\", `c;d` FROM t",
    'SELECT (1;2)',
    "SELECT 'it''s;'"
  ])
  assert.equal(splitStatements('  ;; -- nothing\n'), [])
  assert.equal(splitStatements(''), [])
})

Split('a text ending inside a string or comment gives the rest as one unterminated statement', () => {
  const [a, b] = splitStatements("SELECT 1; SELECT 'open;")
  assert.equal(a?.text, 'SELECT 1')
  assert.equal([b?.text, b?.offset, b?.terminated], ["SELECT 'open;", 10, false])
  assert.equal(splitStatements('SELECT 1; /* open ; ').map(s => s.text), ['SELECT 1', '/* open ;'])
})

Split('joining the statements with ; and splitting again gives them back (property)', () => {
  const piece = fc.constantFrom('SELECT 1', "SELECT ';'", 'SELECT "x;y" FROM t', 'SELECT (1) -- c;\n + 2', "INSERT INTO t VALUES ('a;b')", 'SELECT /* ; */ 3')
  fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom(';', ';\n', ' ; '), (parts, sep) => {
    const text = parts.join(sep)
    const split = splitStatements(text)
    assert.equal(split.map(s => s.text), parts)
    for (const s of split) assert.is(text.slice(s.offset, s.offset + s.text.length), s.text)
  }))
})

const Complete = suite('isCompleteStatement')

Complete('is true when the text ends with a top-level ; (comments and space may follow)', () => {
  assert.ok(isCompleteStatement('SELECT 1;'))
  assert.ok(isCompleteStatement('SELECT 1\nFROM t\n;  '))
  assert.ok(isCompleteStatement('SELECT 1; -- done'))
  assert.ok(isCompleteStatement('SELECT 1; SELECT 2;'))
  assert.ok(isCompleteStatement("SELECT ';' ;"))
})

Complete('is false inside a string, name, comment or parentheses, without ;, or with nothing', () => {
  assert.not.ok(isCompleteStatement('SELECT 1'))
  assert.not.ok(isCompleteStatement("SELECT ';"))
  assert.not.ok(isCompleteStatement('SELECT "a;'))
  assert.not.ok(isCompleteStatement('SELECT 1 /* ;'))
  assert.not.ok(isCompleteStatement('SELECT 1 -- ;'))
  assert.not.ok(isCompleteStatement('SELECT (1;'))
  assert.not.ok(isCompleteStatement('SELECT 1; SELECT 2'))
  assert.not.ok(isCompleteStatement(';'))
  assert.not.ok(isCompleteStatement('   '))
})

Split.run()
Complete.run()

/**
 * A small SQL tokenizer, only as fine as meshflow's own passes over the text need: it
 * knows where strings, quoted identifiers and comments begin and end (so a `;` or `(`
 * inside them is not one), and yields words and punctuation with their offsets. The parser
 * library does the real tokenizing; this one finds statement ends, Flink clauses the
 * library does not parse, and keywords in front of a node the library gives no span.
 *
 * @example
 * lexSql("SELECT 'a;b'; -- c").tokens.map(t => t.text) // ['SELECT', "'a;b'", ';']
 */

/** A token: its kind, text as written, and 0-based UTF-16 offsets. */
export interface SqlToken {
  /** `word` (keyword or identifier), `quoted` (`"x"` or `` `x` ``), `string`, `number`, `punct`. */
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'punct'
  readonly text: string
  readonly start: number
  readonly end: number
}

/** The tokens of a text, and what was left open at its end. */
export interface LexResult {
  readonly tokens: readonly SqlToken[]
  /** The text ends inside a string, quoted identifier or block comment. */
  readonly unterminated: 'string' | 'quoted' | 'comment' | undefined
}

const WORD_START = /[\p{L}_]/u
const WORD_PART = /[\p{L}\p{N}_$]/u
const TWO_CHAR_PUNCT = new Set(['<=', '>=', '<>', '!=', '||', '::', '=>', '->'])

/** Tokenizes `text`; never throws. */
export function lexSql (text: string): LexResult {
  const tokens: SqlToken[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { i++; continue }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i)
      i = nl === -1 ? n : nl + 1
      continue
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2)
      if (close === -1) return { tokens, unterminated: 'comment' }
      i = close + 2
      continue
    }
    if (c === '\'' || ((c === 'E' || c === 'e') && text[i + 1] === '\'')) {
      const start = i
      const backslash = c !== '\''
      i += backslash ? 2 : 1
      let closed = false
      while (i < n) {
        const d = text[i]
        if (backslash && d === '\\') { i += 2; continue }
        if (d === '\'') {
          if (text[i + 1] === '\'') { i += 2; continue }
          i++
          closed = true
          break
        }
        i++
      }
      if (!closed) return { tokens, unterminated: 'string' }
      tokens.push({ kind: 'string', text: text.slice(start, i), start, end: i })
      continue
    }
    if (c === '"' || c === '`') {
      const start = i
      i++
      let closed = false
      while (i < n) {
        if (text[i] === c) {
          if (text[i + 1] === c) { i += 2; continue }
          i++
          closed = true
          break
        }
        i++
      }
      if (!closed) return { tokens, unterminated: 'quoted' }
      tokens.push({ kind: 'quoted', text: text.slice(start, i), start, end: i })
      continue
    }
    if (c >= '0' && c <= '9') {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i, i + 400)) as RegExpExecArray
      tokens.push({ kind: 'number', text: m[0], start: i, end: i + m[0].length })
      i += m[0].length
      continue
    }
    const cp = String.fromCodePoint(text.codePointAt(i) as number)
    if (WORD_START.test(cp)) {
      const start = i
      i += cp.length
      while (i < n) {
        const d = String.fromCodePoint(text.codePointAt(i) as number)
        if (!WORD_PART.test(d)) break
        i += d.length
      }
      tokens.push({ kind: 'word', text: text.slice(start, i), start, end: i })
      continue
    }
    const two = text.slice(i, i + 2)
    const len = TWO_CHAR_PUNCT.has(two) ? 2 : cp.length
    tokens.push({ kind: 'punct', text: text.slice(i, i + len), start: i, end: i + len })
    i += len
  }
  return { tokens, unterminated: undefined }
}

/** Whether a token is the keyword `word` (case-insensitive; quoted identifiers never are). */
export function isKeyword (token: SqlToken | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'word' && token.text.toUpperCase() === word
}

/** Whether a token is the punctuation `p`. */
export function isPunct (token: SqlToken | undefined, p: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === p
}

/** The index of the `)` that closes the `(` at `open` in `tokens`, or -1. */
export function closingParen (tokens: readonly SqlToken[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as SqlToken
    if (t.kind !== 'punct') continue
    if (t.text === '(') depth++
    else if (t.text === ')') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

/** The index of the first token starting at or after `offset` (binary search). */
export function tokenIndexAt (tokens: readonly SqlToken[], offset: number): number {
  let lo = 0
  let hi = tokens.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((tokens[mid] as SqlToken).start < offset) lo = mid + 1
    else hi = mid
  }
  return lo
}

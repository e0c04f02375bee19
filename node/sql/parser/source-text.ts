/**
 * A statement's text with its line starts: turns the parser library's `Line: L, Column: C`
 * (1-based, columns counted in code points) into meshflow `Pos`es with UTF-16 offsets,
 * and offsets back into positions.
 *
 * @example
 * new SourceText('SELECT 1\nFROM t').pos(2, 6) // { line: 2, column: 6, offset: 14 }
 */
import type { Pos } from '../ast.ts'

/** A text and the offsets where its lines start (`\n`, `\r\n` and `\r` end lines). */
export class SourceText {
  readonly text: string
  readonly #lineStarts: number[] = [0]
  /** No surrogate pairs: a column is an offset from the line start (else columns are walked). */
  readonly #bmpOnly: boolean

  constructor (text: string) {
    this.text = text
    this.#bmpOnly = !/[\ud800-\udfff]/.test(text)
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.#lineStarts.push(i + 1)
    }
  }

  /** The position of 1-based `line` and code-point `column` (clamped into the text). */
  pos (line: number, column: number): Pos {
    const l = Math.max(1, Math.min(line, this.#lineStarts.length))
    let offset = this.#lineStarts[l - 1] as number
    if (this.#bmpOnly) {
      const lineEnd = l < this.#lineStarts.length ? (this.#lineStarts[l] as number) - 1 : this.text.length
      return { line: l, column: Math.max(1, column), offset: Math.min(offset + Math.max(0, column - 1), Math.max(offset, lineEnd)) }
    }
    for (let c = 1; c < column && offset < this.text.length; c++) {
      const code = this.text.charCodeAt(offset)
      if (code === 10 || code === 13) break
      offset += code >= 0xd800 && code <= 0xdbff ? 2 : 1
    }
    return { line: l, column: Math.max(1, column), offset }
  }

  /** The position of a 0-based UTF-16 offset. */
  posAt (offset: number): Pos {
    const o = Math.max(0, Math.min(offset, this.text.length))
    let lo = 0
    let hi = this.#lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.#lineStarts[mid] as number) <= o) lo = mid
      else hi = mid - 1
    }
    const start = this.#lineStarts[lo] as number
    if (this.#bmpOnly) return { line: lo + 1, column: o - start + 1, offset: o }
    let column = 1
    for (let i = start; i < o; i++) {
      const code = this.text.charCodeAt(i)
      if (!(code >= 0xdc00 && code <= 0xdfff)) column++
    }
    return { line: lo + 1, column, offset: o }
  }

  /** The position just after the last character that is not white space. */
  endPos (): Pos {
    return this.posAt(this.text.trimEnd().length)
  }
}

/**
 * `text` with the code points in [from, to) replaced by spaces, one space per code point
 * and line breaks kept: the line and column (what the parser library reports) of every
 * other character stay the same.
 */
export function blank (text: string, from: number, to: number): string {
  let out = ''
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i)
    if (code === 10 || code === 13) out += text[i]
    else if (!(code >= 0xdc00 && code <= 0xdfff)) out += ' '
  }
  return text.slice(0, from) + out + text.slice(to)
}

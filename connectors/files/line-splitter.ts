/**
 * Cuts a stream of byte chunks into lines, keeping the byte offset of the next unread line.
 *
 * Lines are split on the byte 0x0A before decoding: in UTF-8 no byte of a multi-byte
 * character is below 0x80, so a newline byte is always a real newline and a character cut
 * by a chunk boundary is whole again once its line is complete. Each line is decoded on
 * its own. A `\r` before the `\n` (CRLF) is dropped, as is a UTF-8 byte-order mark at the
 * start of the file. The last line needs no newline.
 *
 * With `quotedFields` (CSV, RFC 4180 §2.6) a "line" is a record: a line break inside a field
 * in double quotes belongs to the field and is kept as written (`\n` or `\r\n`). A quote
 * opens a field only at its start (after the delimiter or at the start of the record), and
 * `""` inside a quoted field is an escaped quote; the quote byte 0x22 is, like 0x0A, never
 * part of a multi-byte character. A quoted field left open runs to the end of the file.
 *
 * @example
 * const s = new LineSplitter()
 * s.push(Buffer.from('a\r\nb')); s.next()  // 'a'
 * s.next()                                 // undefined: 'b' may go on in the next chunk
 * s.end(); s.next()                        // 'b'
 */

const NEWLINE = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const EMPTY = Buffer.alloc(0)
/** `#quoteAt` when the next quote has not been looked for since the buffer changed. */
const UNKNOWN = -2

/** Options of a {@link LineSplitter}. */
export interface LineSplitterInit {
  /** Keep line breaks inside double-quoted fields separated by `delimiter` (CSV). */
  readonly quotedFields?: { readonly delimiter: string }
}

export class LineSplitter {
  /** Unread bytes (and already read ones before `#pos`). */
  #buf: Buffer = EMPTY
  /** Index in `#buf` of the next unread line. */
  #pos = 0
  /** Index in `#buf` from which to look for the next newline (no newline before it). */
  #scan = 0
  /** File offset of `#buf[0]`. */
  #base: number
  #ended = false
  /** The CSV delimiter's bytes in quote-aware mode. */
  readonly #delimiter: Buffer | undefined
  /** Quote-aware mode: `#scan` lies inside a quoted field. */
  #inQuotes = false
  /** Quote-aware mode: index of the next quote at or after the scan, -1 for none in `#buf`. */
  #quoteAt = UNKNOWN
  /** Quote-aware mode: the record being scanned has a quoted field (it may span lines). */
  #quoted = false
  #lineCount = 1
  #rangeStart = 0
  #rangeStop = 0

  /** `offset`: the file offset of the first byte that will be pushed. */
  constructor (offset = 0, init: LineSplitterInit = {}) {
    this.#base = offset
    if (init.quotedFields !== undefined) this.#delimiter = Buffer.from(init.quotedFields.delimiter)
  }

  /** Lines of the file the last record returned by `next()` spans: 1 unless a quoted field holds line breaks. */
  get lineCount (): number {
    return this.#lineCount
  }

  /** File offset of the next unread line: where a restored reader resumes. */
  get offset (): number {
    return this.#base + this.#pos
  }

  /** Bytes of an incomplete line held back until its newline (or the end) arrives. */
  get pendingBytes (): number {
    return this.#buf.length - this.#pos
  }

  /** True once `end()` was called and every line has been returned. */
  get done (): boolean {
    return this.#ended && this.#pos >= this.#buf.length
  }

  /** Appends the next bytes of the file. The splitter keeps a reference: do not reuse `chunk`. */
  push (chunk: Buffer): void {
    if (this.#ended) throw new Error('LineSplitter.push after end()')
    if (chunk.length === 0) return
    const rest = this.#buf.length - this.#pos
    if (rest === 0) {
      this.#base += this.#buf.length
      this.#buf = chunk
      this.#scan = 0
    } else {
      // one copy per chunk, of the partial line only: no re-copy of lines already read
      const scanned = this.#scan - this.#pos
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), chunk], rest + chunk.length)
      this.#base += this.#pos
      this.#scan = scanned
    }
    this.#pos = 0
    this.#quoteAt = UNKNOWN
  }

  /** No more bytes will come: the bytes after the last newline form the final line. */
  end (): void {
    this.#ended = true
  }

  /**
   * The next line without its terminator (`''` for an empty line), or `undefined` when the
   * line is not complete yet (push more, or call `end()`) or every line was returned.
   */
  next (): string | undefined {
    if (!this.nextRange()) return undefined
    return this.#buf.toString('utf8', this.#rangeStart, this.#rangeStop)
  }

  /**
   * `next()` without decoding: true when a line is complete, which is then
   * `buffer[rangeStart, rangeStop)` (until the next `push`); false when `next()` would
   * return undefined.
   */
  nextRange (): boolean {
    const buf = this.#buf
    let start = this.#pos
    let stop: number
    let after: number
    const nl = this.#delimiter === undefined ? this.#lineEnd() : this.#recordEnd(this.#delimiter)
    if (nl === -1) {
      if (!this.#ended || start >= buf.length) return false
      stop = buf.length
      after = buf.length
      // a quoted field left open ran to the end: its record ends before the last line break
      if (this.#inQuotes && stop > start && buf[stop - 1] === NEWLINE) stop--
    } else {
      stop = nl
      after = nl + 1
    }
    if (stop > start && buf[stop - 1] === CR) stop--
    if (this.#base + start === 0 && stop - start >= 3 && hasBom(buf, start)) start += 3
    this.#lineCount = this.#quoted ? countLines(buf, start, stop) : 1
    this.#pos = after
    this.#scan = after
    this.#inQuotes = false
    this.#quoted = false
    this.#rangeStart = start
    this.#rangeStop = stop
    return true
  }

  /** Where the last line of `nextRange()` starts in `buffer`. */
  get rangeStart (): number {
    return this.#rangeStart
  }

  /** Where the last line of `nextRange()` ends in `buffer` (its terminator excluded). */
  get rangeStop (): number {
    return this.#rangeStop
  }

  /** The bytes the last line of `nextRange()` lies in. */
  get buffer (): Buffer {
    return this.#buf
  }

  /** The index of the newline ending the next line, or -1 when it has not arrived. */
  #lineEnd (): number {
    const nl = this.#buf.indexOf(NEWLINE, this.#scan)
    if (nl === -1) this.#scan = this.#buf.length
    return nl
  }

  /**
   * The index of the newline ending the next record, skipping newlines in quoted fields,
   * or -1 when it has not arrived; `#scan` and `#inQuotes` keep the progress for the next call.
   */
  #recordEnd (delimiter: Buffer): number {
    const buf = this.#buf
    let i = this.#scan
    if (this.#inQuotes) {
      i = this.#afterClosingQuote(i)
      if (i === -1) return -1
    }
    let nl = buf.indexOf(NEWLINE, i)
    for (;;) {
      const q = this.#nextQuote(i)
      if (q === -1 || (nl !== -1 && nl < q)) {
        // no quoted field before the newline: it ends the record (the common case, one indexOf)
        this.#scan = nl === -1 ? buf.length : nl
        return nl
      }
      if (!this.#atFieldStart(q, delimiter)) {
        // a stray quote in an unquoted field is text (and an error for the CSV parser)
        i = q + 1
        continue
      }
      this.#quoted = true
      i = this.#afterClosingQuote(q + 1)
      if (i === -1) return -1
      if (nl !== -1 && nl < i) nl = buf.indexOf(NEWLINE, i)
    }
  }

  /** Index after the quote closing the field that `from` is inside, or -1 (progress saved) when it has not arrived. */
  #afterClosingQuote (from: number): number {
    const buf = this.#buf
    for (let j = from; ;) {
      const c = buf.indexOf(QUOTE, j)
      // a quote as the last byte may be the first of a doubled one: wait for the next byte
      if (c === -1 || (c + 1 === buf.length && !this.#ended)) {
        this.#scan = c === -1 ? buf.length : c
        this.#inQuotes = true
        return -1
      }
      if (buf[c + 1] === QUOTE) {
        j = c + 2
        continue
      }
      this.#inQuotes = false
      return c + 1
    }
  }

  /** The next quote at or after `i`; one search per quote, not per record, for quote-free files. */
  #nextQuote (i: number): number {
    if (this.#quoteAt === UNKNOWN || (this.#quoteAt !== -1 && this.#quoteAt < i)) this.#quoteAt = this.#buf.indexOf(QUOTE, i)
    return this.#quoteAt
  }

  /** Whether the quote at `q` opens a field: first in the record, or right after the delimiter. */
  #atFieldStart (q: number, delimiter: Buffer): boolean {
    const start = this.#pos + (this.#base + this.#pos === 0 && hasBom(this.#buf, 0) ? 3 : 0)
    if (q === start) return true
    const d = delimiter.length
    if (d === 1) return q > start && this.#buf[q - 1] === delimiter[0]
    return q - d >= start && this.#buf.compare(delimiter, 0, d, q - d, q) === 0
  }
}

/** Whether a UTF-8 byte-order mark starts at `i`. */
function hasBom (buf: Buffer, i: number): boolean {
  return buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf
}

/** The lines `buf[start, stop)` spans: one more than the newlines in it. */
function countLines (buf: Buffer, start: number, stop: number): number {
  let lines = 1
  for (let i = buf.indexOf(NEWLINE, start); i !== -1 && i < stop; i = buf.indexOf(NEWLINE, i + 1)) lines++
  return lines
}

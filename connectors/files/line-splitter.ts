/**
 * Cuts a stream of byte chunks into lines, keeping the byte offset of the next unread line.
 *
 * Lines are split on the byte 0x0A before decoding: in UTF-8 no byte of a multi-byte
 * character is below 0x80, so a newline byte is always a real newline and a character cut
 * by a chunk boundary is whole again once its line is complete. Each line is decoded on
 * its own. A `\r` before the `\n` (CRLF) is dropped, as is a UTF-8 byte-order mark at the
 * start of the file. The last line needs no newline.
 *
 * @example
 * const s = new LineSplitter()
 * s.push(Buffer.from('a\r\nb')); s.next()  // 'a'
 * s.next()                                 // undefined: 'b' may go on in the next chunk
 * s.end(); s.next()                        // 'b'
 */

const NEWLINE = 0x0a
const CR = 0x0d
const EMPTY = Buffer.alloc(0)

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

  /** `offset`: the file offset of the first byte that will be pushed. */
  constructor (offset = 0) {
    this.#base = offset
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
    const buf = this.#buf
    let start = this.#pos
    let stop: number
    let after: number
    const nl = buf.indexOf(NEWLINE, this.#scan)
    if (nl === -1) {
      this.#scan = buf.length
      if (!this.#ended || start >= buf.length) return undefined
      stop = buf.length
      after = buf.length
    } else {
      stop = nl
      after = nl + 1
    }
    if (stop > start && buf[stop - 1] === CR) stop--
    if (this.#base + start === 0 && stop - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3
    this.#pos = after
    this.#scan = after
    return buf.toString('utf8', start, stop)
  }
}

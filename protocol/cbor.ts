/**
 * The CBOR layer under every meshflow codec (cbor-x, https://github.com/kriszyp/cbor-x).
 *
 * Objects are written as cbor-x records (`useRecords`): the first object of a shape in a
 * message defines its keys once, every later object of that shape is just its values. A
 * batch of 1024 records of one shape thus carries its field names once. No structures are
 * shared between messages, so every message decodes on its own: a receiver needs no
 * per-stream state and a lost or hostile frame cannot poison the next one.
 *
 * Decoding uses cbor-x's separate `decode-no-eval` build, for two reasons:
 * - it never compiles a reader with `new Function` from keys that came off the wire;
 * - it is a module instance of its own, so `addExtension` calls elsewhere in the process
 *   cannot change what a frame decodes to, and we control its native string extractor.
 * The native extractor (cbor-extract 2.2.2, what this project pins) scans ahead for strings
 * and loops forever on a byte string whose 4-byte length overflows its 32-bit position (the
 * fuzz test found it). We install it behind a guard that refuses such input up front; where
 * the native module is missing, cbor-x decodes strings in JS.
 *
 * The same private instance refuses the tags that make one decoded value appear in several
 * places: value sharing (28, 29), which can also form cycles and which cbor-x resolves by
 * re-reading, exponentially in the nesting, and packed value tables (51, 6). Our encoder
 * never writes them, so every decoded value is a tree the size of its bytes.
 *
 * Both the encoder and the decoder are stateless between calls; one of each per module is
 * enough and safe for any number of peers in one process.
 */
import { createRequire } from 'node:module'
import { Encoder, type Decoder } from 'cbor-x'
import { fail } from './validation.ts'
import { errorMessage } from './error-message.ts'

/** cbor-extract's `extractStrings(position, end, firstStringLength, source)`. */
type ExtractStrings = (position: number, size: number, firstStringSize: number, source: Uint8Array) => unknown

interface DecodeNoEval {
  readonly Decoder: typeof Decoder
  setExtractor(extract: ExtractStrings): void
  addExtension(extension: { tag: number, decode: (value: unknown) => unknown }): void
}

/** Tags that cbor-x decodes into shared (or cyclic) references, which no message carries. */
const SHARING_TAGS: Readonly<Record<number, string>> = { 6: 'packed reference', 28: 'shareable value', 29: 'shared reference', 51: 'packed value table' }

const require = createRequire(import.meta.url)
const cbor = require('cbor-x/decode-no-eval') as DecodeNoEval
installGuardedExtractor(cbor)
refuseSharingTags(cbor)

const encoder = new Encoder({ useRecords: true })
const decoder = new cbor.Decoder({ useRecords: true })

/**
 * Encodes any cbor-encodable value. The result is a fresh `Uint8Array` that shares no
 * memory with the encoder's scratch buffer, so holding on to it keeps nothing else alive.
 *
 * @throws whatever cbor-x throws for a value it cannot encode (a function, a symbol)
 */
export function encodeCbor (value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(value))
}

/**
 * Decodes one CBOR item that must fill `bytes` exactly. The result is unvalidated: pass it
 * through a protocol's checks before trusting it.
 *
 * @throws {MalformedMessageError} when `bytes` is empty, not CBOR, truncated, or has bytes left over
 */
export function decodeCbor (protocol: string, bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) fail(protocol, '', 'must be a byte array')
  if (bytes.byteLength === 0) fail(protocol, '', 'is empty')
  try {
    return decoder.decode(bytes)
  } catch (err) {
    // cbor-x throws Error, TypeError (native extractor), RangeError (also for stack
    // exhaustion on deep nesting) and SyntaxError (an invalid RegExp in tag 27): all of
    // them mean the bytes are not a message
    const detail = errorMessage(err)
    return fail(protocol, '', `is not valid CBOR (${detail.slice(0, 200)})`, { cause: err })
  }
}

function refuseSharingTags (target: DecodeNoEval): void {
  for (const [tag, name] of Object.entries(SHARING_TAGS)) {
    const refuse = (): never => { throw new Error(`Tag ${tag} (${name}) is not allowed`) }
    // handlesRead: refuse before reading the tagged content (cbor-x calls refuse(read))
    refuse.handlesRead = true
    target.addExtension({ tag: Number(tag), decode: refuse })
  }
}

function installGuardedExtractor (target: DecodeNoEval): void {
  if (process.env.CBOR_NATIVE_ACCELERATION_DISABLED?.toLowerCase() === 'true') return
  let native: ExtractStrings
  try {
    native = (require('cbor-extract') as { extractStrings: ExtractStrings }).extractStrings
  } catch {
    return // optional: without it cbor-x decodes strings in JS
  }
  if (typeof native !== 'function') return
  target.setExtractor((position, size, firstStringSize, source) => {
    if (wrapsNativeScan(source, position + firstStringSize, size)) {
      throw new Error('Unexpected end of buffer: a byte string runs past the end of the input')
    }
    return native(position, size, firstStringSize, source)
  })
}

const TWO_32 = 2 ** 32

/**
 * Whether cbor-extract's scan, walking CBOR tokens from `from` to `size`, would meet a byte
 * string whose length makes its uint32 position wrap around (and so loop forever). Only
 * then the input is malformed anyway: the decoder walks the same tokens and would reach
 * that byte string, which runs past the end. A cheap byte search rules out almost every
 * input; only inputs with a candidate header are walked token by token.
 */
export function wrapsNativeScan (source: Uint8Array, from: number, size: number): boolean {
  if (from >= size) return false
  // a wrap needs 0x5a (byte string, 4-byte length) with a length >= 2^32 - size
  const minFirstByte = Math.max(0, Math.floor((TWO_32 - size) / 2 ** 24))
  let i = source.indexOf(0x5a, from)
  let candidate = false
  while (i !== -1 && i + 1 < size) {
    if (source[i + 1]! >= minFirstByte) {
      candidate = true
      break
    }
    i = source.indexOf(0x5a, i + 1)
  }
  if (!candidate) return false
  // walk the tokens exactly as cbor-extract does (extract.cpp, extractStrings)
  let p = from
  while (p < size) {
    const token = source[p++]!
    const major = token >> 5
    const info = token & 0x1f
    if (major === 2 || major === 3) {
      let length: number
      if (info === 0x18) {
        if (p + 1 > size) return false
        length = source[p++]!
      } else if (info === 0x19) {
        if (p + 2 > size) return false
        length = source[p]! * 0x100 + source[p + 1]!
        p += 2
      } else if (info === 0x1a) {
        if (p + 4 > size) return false
        length = source[p]! * 0x1000000 + source[p + 1]! * 0x10000 + source[p + 2]! * 0x100 + source[p + 3]!
        p += 4
      } else if (info === 0x1b) {
        return false // cbor-extract stops with "unexpected end"
      } else {
        length = info
      }
      if (major === 3) {
        if (length + p > size) return false // cbor-extract stops with "unexpected end"
        p += length
      } else {
        if (p + length >= TWO_32) return true
        p += length
      }
    } else if (info === 0x18) {
      p += 1
    } else if (info === 0x19) {
      p += 2
    } else if (info === 0x1a) {
      p += 4
    } else if (info === 0x1b) {
      p += 8
    }
  }
  return false
}

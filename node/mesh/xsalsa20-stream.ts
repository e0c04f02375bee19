/**
 * XSalsa20 as a stream: one keystream (a 32-byte key and a 24-byte nonce) XORed over the
 * bytes of one direction of a connection, call after call, as libp2p pnet does. Built on
 * `@noble/ciphers` (pure JS, no shared WASM memory): each call works in chunks of at most
 * `XOR_CHUNK_BYTES`, so a 20 MB frame never needs more than one chunk of scratch space
 * beyond its own output.
 *
 * @example
 * const out = new XSalsa20Stream(key, nonce)
 * const a = out.xor(bytes1) // then xor(bytes2) continues the same keystream
 */
import { xsalsa20 } from '@noble/ciphers/salsa.js'
import { XOR_CHUNK_BYTES } from './constants.ts'
import { KeystreamExhaustedError } from './errors.ts'

const BLOCK = 64
/** noble's public counter is 32 bits; block 2^32 - 1 is the last it will produce. */
const MAX_BLOCKS = 2 ** 32 - 1
const ZERO_BLOCK = new Uint8Array(BLOCK)

export class XSalsa20Stream {
  readonly #key: Uint8Array
  readonly #nonce: Uint8Array
  /** The next whole block to generate. */
  #counter = 0
  /** Keystream of the block last cut short, and how much of it was used. */
  readonly #partial = new Uint8Array(BLOCK)
  #used = BLOCK

  constructor (key: Uint8Array, nonce: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`An XSalsa20 key has 32 bytes, got ${key.length}`)
    if (nonce.length !== 24) throw new RangeError(`An XSalsa20 nonce has 24 bytes, got ${nonce.length}`)
    this.#key = Uint8Array.from(key)
    this.#nonce = Uint8Array.from(nonce)
  }

  /** Bytes of keystream used so far. */
  get position (): number {
    return this.#counter * BLOCK - (BLOCK - this.#used)
  }

  /**
   * XORs `data` with the next `data.length` bytes of keystream into new chunks of at most
   * `XOR_CHUNK_BYTES` each (concatenated, they are the output); `data` is left as it was.
   *
   * @throws {KeystreamExhaustedError} when the keystream would pass 256 GiB
   */
  xor (data: Uint8Array): Uint8Array[] {
    const chunks: Uint8Array[] = []
    for (let at = 0; at < data.length; at += XOR_CHUNK_BYTES) {
      chunks.push(this.#xorChunk(data.subarray(at, Math.min(data.length, at + XOR_CHUNK_BYTES))))
    }
    return chunks
  }

  #xorChunk (input: Uint8Array): Uint8Array {
    const len = input.length
    const out = new Uint8Array(len)
    let i = 0
    // the rest of a block that an earlier call cut short
    while (this.#used < BLOCK && i < len) out[i] = input[i++]! ^ this.#partial[this.#used++]!
    const whole = Math.floor((len - i) / BLOCK)
    if (whole > 0) {
      this.#reserve(whole)
      xsalsa20(this.#key, this.#nonce, input.subarray(i, i + whole * BLOCK), out.subarray(i, i + whole * BLOCK), this.#counter)
      this.#counter += whole
      i += whole * BLOCK
    }
    if (i < len) {
      this.#reserve(1)
      xsalsa20(this.#key, this.#nonce, ZERO_BLOCK, this.#partial, this.#counter++)
      this.#used = 0
      while (i < len) out[i] = input[i++]! ^ this.#partial[this.#used++]!
    }
    return out
  }

  #reserve (blocks: number): void {
    if (this.#counter + blocks > MAX_BLOCKS) throw new KeystreamExhaustedError()
  }
}

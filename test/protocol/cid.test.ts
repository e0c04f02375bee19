import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { base58btc } from 'multiformats/bases/base58'
import { cidOf, cidMatches, parseCid, cidFromBytes, RAW_CODE, SHA2_256_CODE } from '../../protocol/cid.ts'
import { rejects } from './arbitraries.ts'

const HELLO = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'

const cid = suite('cidOf')

cid('is CIDv1, raw codec, sha2-256 of the bytes', () => {
  const c = cidOf(new TextEncoder().encode('hello'))
  assert.is(c.toString(), HELLO)
  assert.is(c.version, 1)
  assert.is(c.code, RAW_CODE)
  assert.is(c.multihash.code, SHA2_256_CODE)
})

cid('round-trips through its string and binary forms, and matches only its bytes (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), (bytes, flip) => {
    const c = cidOf(bytes)
    assert.ok(parseCid(c.toString()).equals(c))
    assert.ok(cidFromBytes(c.bytes).equals(c))
    assert.ok(cidMatches(c, bytes))
    if (bytes.length > 0) {
      const other = bytes.slice()
      other[flip % other.length]! ^= 1
      assert.not.ok(cidMatches(c, other))
    }
  }), { numRuns: 200 })
})

const parse = suite('parseCid')

parse('accepts base58btc as well as base32', () => {
  const c = parseCid(HELLO)
  assert.ok(parseCid(c.toString(base58btc)).equals(c))
})

parse('refuses text that is not a CID, naming it', () => {
  rejects(() => parseCid('hello'), 'InvalidCidError', /^Invalid CID 'hello': /)
  rejects(() => parseCid(''), 'InvalidCidError', "Invalid CID '': length must be 1 to 128 characters, got 0")
  rejects(() => parseCid(HELLO.slice(0, -3)), 'InvalidCidError', new RegExp(`^Invalid CID '${HELLO.slice(0, -3)}': `))
})

parse('refuses CIDv0, other codecs and other hashes', () => {
  rejects(() => parseCid('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'), 'InvalidCidError', "Invalid CID 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG': must be version 1, got version 0")
  const dagCbor = CID.createV1(0x71, cidOf(new Uint8Array(1)).multihash)
  rejects(() => parseCid(dagCbor.toString()), 'InvalidCidError', `Invalid CID '${dagCbor.toString()}': must use the raw codec (0x55), got 0x71`)
  const sha512 = CID.createV1(RAW_CODE, Digest.create(0x13, new Uint8Array(64)))
  rejects(() => parseCid(sha512.toString()), 'InvalidCidError', /^Invalid CID 'bafkrgqa+…': must hash with sha2-256 \(0x12\), got 0x13$/)
  const short = CID.createV1(RAW_CODE, Digest.create(SHA2_256_CODE, new Uint8Array(16)))
  rejects(() => parseCid(short.toString()), 'InvalidCidError', `Invalid CID '${short.toString()}': sha2-256 digest must be 32 bytes, got 16`)
})

parse('cidFromBytes refuses garbage bytes', () => {
  rejects(() => cidFromBytes(new Uint8Array([1, 2, 3])), 'InvalidCidError', /^Invalid CID bytes \(3 bytes\): /)
})

cid.run()
parse.run()

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CID } from 'multiformats/cid'
import { cidOf } from '../../../protocol/cid.ts'
import { encodeCbor } from '../../../protocol/cbor.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCKS_FRAME_BYTES } from '../../../protocol/constants.ts'
import { BLOCKS_PROTOCOL } from '../../../protocol/ids.ts'
import { BLOCKS_CODEC, decodeBlockMessage, type BlockMessage } from '../../../node/storage/block-messages.ts'

const codec = suite('BLOCKS_CODEC')
const cid = cidOf(new TextEncoder().encode('hello'))
const data = new Uint8Array([1, 2, 3])

function malformed (value: unknown, field: string): void {
  try {
    decodeBlockMessage(encodeCbor(value))
  } catch (err) {
    assert.is((err as Error).name, 'MalformedMessageError')
    assert.is((err as { field: string }).field, field, (err as Error).message)
    return
  }
  assert.unreachable(`decoded ${JSON.stringify(value)}`)
}

codec('is the /meshflow/blocks/1 codec with a frame room for a full block', () => {
  assert.is(BLOCKS_CODEC.protocol, BLOCKS_PROTOCOL)
  assert.is(BLOCKS_CODEC.protocol, '/meshflow/blocks/1')
  assert.is(BLOCKS_CODEC.maxFrameBytes, MAX_BLOCKS_FRAME_BYTES)
  const full = BLOCKS_CODEC.encode({ type: 'put-request', id: 2 ** 40, cid, data: new Uint8Array(MAX_BLOCK_BYTES) })
  assert.ok(full.byteLength <= MAX_BLOCKS_FRAME_BYTES)
})

codec('round-trips every message type', () => {
  const messages: BlockMessage[] = [
    { type: 'get-request', id: 1, cid },
    { type: 'get-response', id: 1, data },
    { type: 'has-request', id: 2, cids: [cid, cidOf(data)] },
    { type: 'has-response', id: 2, present: [true, false] },
    { type: 'put-request', id: 3, cid, data },
    { type: 'put-response', id: 3 },
    { type: 'error-response', id: 4, code: 'mismatch', message: 'The bytes do not match', retriable: false }
  ]
  for (const m of messages) {
    const back = BLOCKS_CODEC.decode(BLOCKS_CODEC.encode(m)) as unknown as Record<string, unknown>
    const expected = m as unknown as Record<string, unknown>
    for (const key of Object.keys(expected)) {
      const a = back[key]
      const b = expected[key]
      if (b instanceof CID) assert.ok((a as CID).equals(b), `${m.type}.${key}`)
      else if (Array.isArray(b) && b[0] instanceof CID) assert.equal((a as CID[]).map(String), b.map(String))
      else assert.equal(a, b, `${m.type}.${key}`)
    }
    assert.equal(Object.keys(back).sort(), Object.keys(expected).sort())
  }
})

codec('refuses malformed messages naming the field', () => {
  malformed({ type: 'steal', id: 1 }, 'type')
  malformed({ type: 'get-request', cid: cid.bytes }, 'id')
  malformed({ type: 'get-request', id: -1, cid: cid.bytes }, 'id')
  malformed({ type: 'get-request', id: 1 }, 'cid')
  malformed({ type: 'get-request', id: 1, cid: 'bafkrei' }, 'cid')
  malformed({ type: 'get-request', id: 1, cid: new Uint8Array([1, 2, 3]) }, 'cid')
  // a CIDv1 with the dag-cbor codec is a CID, but not a block CID
  malformed({ type: 'get-request', id: 1, cid: CID.createV1(0x71, cid.multihash).bytes }, 'cid')
  malformed({ type: 'get-request', id: 1, cid: cid.bytes, data }, 'data')
  malformed({ type: 'put-request', id: 1, cid: cid.bytes, data: 'abc' }, 'data')
  malformed({ type: 'put-request', id: 1, cid: cid.bytes, data: new Uint8Array(MAX_BLOCK_BYTES + 1) }, 'data')
  malformed({ type: 'has-request', id: 1, cids: [cid.bytes, 7] }, 'cids[1]')
  malformed({ type: 'has-request', id: 1, cids: new Array(1025).fill(cid.bytes) }, 'cids')
  malformed({ type: 'has-response', id: 1, present: [true, 1] }, 'present[1]')
  malformed({ type: 'error-response', id: 1, code: 'oops', message: 'x', retriable: true }, 'code')
  for (const bytes of [new Uint8Array(0), new Uint8Array([0xff, 0xff]), encodeCbor([1, 2])]) {
    assert.throws(() => decodeBlockMessage(bytes), (err: Error) => err.name === 'MalformedMessageError')
  }
})

codec.run()

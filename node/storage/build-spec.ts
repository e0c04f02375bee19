/**
 * Generates the hyperdb definition of a peer's store into ./spec (committed). Run it after
 * changing a collection: `node node/storage/build-spec.ts`. Collections may only be added
 * or extended with optional fields, never changed incompatibly: peers keep their data.
 */
import { createRequire } from 'node:module'
import { writeFileSync, mkdirSync } from 'node:fs'

const require = createRequire(import.meta.url)
const Hyperschema = require('hyperschema')
const HyperDB = require('hyperdb/builder')

const dir = new URL('./spec/', import.meta.url).pathname
const SCHEMA_DIR = dir + 'hyperschema'
const DB_DIR = dir + 'hyperdb'
mkdirSync(dir, { recursive: true })
// the generated files are CommonJS
writeFileSync(dir + 'package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n')

const schema = Hyperschema.from(SCHEMA_DIR)
const ns = schema.namespace('meshflow')

// small values of the peer by name: its identity key, its cluster id …
ns.register({
  name: 'meta',
  compact: true,
  fields: [
    { name: 'key', type: 'string', required: true },
    { name: 'value', type: 'buffer', required: true }
  ]
})

// Raft's persistent state: current term and vote (one record, key 'hard')
ns.register({
  name: 'raft-state',
  compact: true,
  fields: [
    { name: 'key', type: 'string', required: true },
    { name: 'term', type: 'uint', required: true },
    { name: 'votedFor', type: 'string', required: false }
  ]
})

// the Raft log: one record per entry, the entry cbor-encoded
ns.register({
  name: 'raft-entry',
  compact: true,
  fields: [
    { name: 'index', type: 'uint', required: true },
    { name: 'term', type: 'uint', required: true },
    { name: 'data', type: 'buffer', required: true }
  ]
})

// content-addressed blocks, by CID bytes
ns.register({
  name: 'block',
  compact: true,
  fields: [
    { name: 'cid', type: 'buffer', required: true },
    { name: 'data', type: 'buffer', required: true }
  ]
})

// when each block was (last) stored and its size, by CID bytes: for garbage collection,
// which must not read the blocks themselves to learn this (see block-store.ts)
ns.register({
  name: 'block-info',
  compact: true,
  fields: [
    { name: 'cid', type: 'buffer', required: true },
    { name: 'storedAt', type: 'uint', required: true },
    { name: 'size', type: 'uint', required: true }
  ]
})

// the CRC-32 of each block's bytes when it was written, by CID bytes: a local read checks it
// instead of hashing the block again (a block without one, from before, is hashed; a CRC of
// 0 is not stored). Reads from other peers and the scrubber still verify the CID.
ns.register({
  name: 'block-crc',
  compact: true,
  fields: [
    { name: 'cid', type: 'buffer', required: true },
    { name: 'crc', type: 'uint', required: true }
  ]
})

Hyperschema.toDisk(schema)

const db = HyperDB.from(SCHEMA_DIR, DB_DIR)
const dbns = db.namespace('meshflow')
dbns.collections.register({ name: 'meta', schema: '@meshflow/meta', key: ['key'] })
dbns.collections.register({ name: 'raft-state', schema: '@meshflow/raft-state', key: ['key'] })
dbns.collections.register({ name: 'raft-log', schema: '@meshflow/raft-entry', key: ['index'] })
dbns.collections.register({ name: 'blocks', schema: '@meshflow/block', key: ['cid'] })
dbns.collections.register({ name: 'block-info', schema: '@meshflow/block-info', key: ['cid'] })
dbns.collections.register({ name: 'block-crc', schema: '@meshflow/block-crc', key: ['cid'] })
HyperDB.toDisk(db)

/**
 * Fuzzing every decoder and the frame decoder: random bytes, random CBOR values, valid
 * messages with a field replaced by random data, truncations and bit flips of valid
 * messages and frames. Each input must either decode to a valid message (one that the
 * decoder accepts again after re-encoding) or fail with MalformedMessageError,
 * FrameTooLargeError or TruncatedFrameError — never another error, never a hang.
 *
 *   MESHFLOW_FUZZ_RUNS=100000 npm test -- fuzz     for a longer run (default 2000 per case)
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  decodeClientMessage, decodeDataMessage, decodeMembershipMessage, decodeRaftEnvelope, encodeCbor,
  encodeClientMessage, encodeDataMessage, encodeMembershipMessage, encodeRaftEnvelope
} from '../../protocol/codec.ts'
import { decodeFrames, encodeFrame } from '../../protocol/framing.ts'
import { isWireFormatError } from '../../protocol/errors.ts'
import { clientMessageArb, dataMessageArb, membershipMessageArb, raftEnvelopeArb } from './arbitraries.ts'

const RUNS = Number(process.env.MESHFLOW_FUZZ_RUNS ?? 2000)
/** A single decode of a small input taking this long means something is quadratic or worse. */
const SLOW_MS = 250

interface Target {
  readonly name: string
  readonly decode: (bytes: Uint8Array) => unknown
  readonly encode: (message: never) => Uint8Array
  readonly arb: fc.Arbitrary<unknown>
}

const targets: Target[] = [
  { name: 'raft', decode: decodeRaftEnvelope, encode: encodeRaftEnvelope, arb: raftEnvelopeArb },
  { name: 'membership', decode: decodeMembershipMessage, encode: encodeMembershipMessage, arb: membershipMessageArb },
  { name: 'client', decode: decodeClientMessage, encode: encodeClientMessage, arb: clientMessageArb },
  { name: 'data', decode: decodeDataMessage, encode: encodeDataMessage, arb: dataMessageArb }
]

/**
 * The fastest of up to 3 more runs of `run`, or undefined as soon as one is not slow: work
 * quadratic or worse in its input is slow every time, while a stall of the machine (a GC
 * pause, a busy CPU) hits one run, not every one.
 */
function slowEveryTime (run: () => void): number | undefined {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    try {
      run()
    } catch {
      // the outcome was checked on the first run; only the time matters here
    }
    best = Math.min(best, performance.now() - started)
    if (best <= SLOW_MS) return undefined
  }
  return best
}

/** `slowEveryTime` for an asynchronous run. */
async function slowEveryTimeAsync (run: () => Promise<void>): Promise<number | undefined> {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    try {
      await run()
    } catch {
      // the outcome was checked on the first run; only the time matters here
    }
    best = Math.min(best, performance.now() - started)
    if (best <= SLOW_MS) return undefined
  }
  return best
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.subarray(0, 200)).toString('hex') + (bytes.length > 200 ? '…' : '')

interface Tally { valid: number, malformed: number }

/** Decodes `bytes`; fails the test on any outcome but a valid message or MalformedMessageError. */
function check (t: Target, bytes: Uint8Array, tally: Tally): void {
  const started = performance.now()
  let message: unknown
  try {
    message = t.decode(bytes)
  } catch (err) {
    if ((err as Error | null)?.name !== 'MalformedMessageError') {
      throw new Error(`${t.name} decoder threw ${(err as Error | null)?.name ?? typeof err}: ${(err as Error | null)?.message ?? String(err)} for ${hex(bytes)}`, { cause: err })
    }
    tally.malformed++
    return
  } finally {
    const ms = performance.now() - started
    const slow = ms > SLOW_MS ? slowEveryTime(() => { t.decode(bytes) }) : undefined
    if (slow !== undefined) throw new Error(`${t.name} decoder took ${ms.toFixed(0)} ms, then at best ${slow.toFixed(0)} ms, for ${bytes.length} bytes: ${hex(bytes)}`)
  }
  // a message the decoder returned must be valid: it encodes, and the decoder accepts it again
  try {
    t.decode(t.encode(message as never))
  } catch (err) {
    throw new Error(`${t.name} decoder returned a message it refuses after re-encoding (${(err as Error).message}) for ${hex(bytes)}`, { cause: err })
  }
  tally.valid++
}

/** A small seeded PRNG (mulberry32), so byte-level runs are cheap and reproducible. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomBytes (rand: () => number, max: number): Uint8Array {
  const out = new Uint8Array(Math.floor(rand() * (max + 1)))
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256)
  return out
}

function flipBits (rand: () => number, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  const flips = 1 + Math.floor(rand() * 3)
  for (let i = 0; i < flips && out.length > 0; i++) out[Math.floor(rand() * out.length)]! ^= 1 << Math.floor(rand() * 8)
  return out
}

const samples = (t: Target, n: number): Uint8Array[] => fc.sample(t.arb, { numRuns: n, seed: 42 }).map(m => t.encode(m as never))

const messages = suite('decoders under fuzzing')
const seed = Number(process.env.MESHFLOW_FUZZ_SEED ?? Date.now() % 1_000_000)
console.log(`fuzz seed ${seed} (MESHFLOW_FUZZ_SEED to replay), ${RUNS} runs per case`)

messages('random byte strings', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: random byte strings')
  const rand = prng(seed)
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    // short inputs take cbor-x's JS string path, long ones (> 140 bytes) its native scanner
    for (let i = 0; i < RUNS; i++) check(t, randomBytes(rand, i % 2 === 0 ? 64 : 400), tally)
    assert.is(tally.valid + tally.malformed, RUNS)
  }
})

messages('random soups of CBOR tokens (records, tags, long lengths, floats)', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: random soups of CBOR tokens')
  const rand = prng(seed + 5)
  const headers = [
    [0xd9, 0xdf, 0xff], [0xd9, 0xe0, 0x00], [0xd9, 0xdf, 0xfe], [0xd8, 0x1b], [0xd8, 0x1c], [0xd8, 0x1d], [0xd8, 0x40], [0xd8, 0x56],
    [0xd9, 0x01, 0x02], [0xd9, 0x01, 0x03], [0xc1], [0xc2], [0xc3], [0xd8, 0x33], [0xc6],
    [0x5a, 0xff, 0xff, 0xff, 0xfb], [0x7a, 0x00, 0x00, 0x10, 0x00], [0x9a, 0xff, 0xff, 0xff, 0xff], [0xba, 0x00, 0x01, 0x00, 0x00],
    [0x9f], [0xbf], [0xff], [0x5f], [0x7f], [0xf9, 0x7c, 0x00], [0xfb], [0x1b], [0x3b], [0xf7], [0xf6],
    [0xa1], [0xa2], [0x81], [0x82], [0x88], [0x64, 0x74, 0x79, 0x70, 0x65], [0x68, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x73]
  ]
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    for (let i = 0; i < RUNS; i++) {
      const parts: number[] = []
      const n = 1 + Math.floor(rand() * 60)
      for (let j = 0; j < n; j++) {
        if (rand() < 0.6) parts.push(...headers[Math.floor(rand() * headers.length)]!)
        else parts.push(...randomBytes(rand, 8))
      }
      check(t, Uint8Array.from(parts), tally)
    }
  }
})

messages('random CBOR values of any shape (fast-check anything)', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: random CBOR values of any shape (fast-check anything)')
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    fc.assert(fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }), value => {
      let bytes: Uint8Array
      try {
        bytes = encodeCbor(value)
      } catch {
        return // not encodable (cbor-x refuses some sparse arrays); nothing to decode
      }
      check(t, bytes, tally)
    }), { numRuns: Math.ceil(RUNS / 4), seed })
  }
})

messages('valid messages with one field replaced by a random value', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: valid messages with one field replaced by a random value')
  const rand = prng(seed + 1)
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    const values = fc.sample(fc.anything({ maxDepth: 2, withBigInt: true, withMap: true }), { numRuns: 200, seed })
    for (const m of fc.sample(t.arb, { numRuns: Math.ceil(RUNS / 4), seed })) {
      const wire = structuredClone(m) as Record<string, unknown>
      // replace a top-level field, or one inside the nested message / first peer / first
      // entry / first job / its first task / the job arguments
      const firstJob = (wire.jobs as Record<string, unknown>[] | undefined)?.[0]
      const holders = [
        wire, wire.message, (wire.peers as unknown[] | undefined)?.[0], ((wire.message as Record<string, unknown> | undefined)?.entries as unknown[] | undefined)?.[0],
        firstJob, (firstJob?.tasks as unknown[] | undefined)?.[0], wire.args
      ]
        .filter((h): h is Record<string, unknown> => typeof h === 'object' && h !== null)
      const holder = holders[Math.floor(rand() * holders.length)]!
      const keys = Object.keys(holder)
      const key = rand() < 0.1 ? 'extra' : keys[Math.floor(rand() * keys.length)]!
      holder[key] = values[Math.floor(rand() * values.length)]
      check(t, encodeCbor(wire), tally)
    }
    assert.ok(tally.malformed > 0, `${t.name}: some replacements must be refused`)
  }
})

messages('every truncation of valid messages', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: every truncation of valid messages')
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    for (const bytes of samples(t, 40)) {
      for (let n = 0; n < bytes.length; n++) check(t, bytes.subarray(0, n), tally)
    }
    assert.is(tally.valid, 0, `${t.name}: a strict prefix of a message is never a message`)
  }
})

messages('bit flips of valid messages', () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: bit flips of valid messages')
  const rand = prng(seed + 2)
  for (const t of targets) {
    const tally = { valid: 0, malformed: 0 }
    const valid = samples(t, 100)
    for (let i = 0; i < RUNS; i++) check(t, flipBits(rand, valid[i % valid.length]!), tally)
    assert.ok(tally.malformed > 0 && tally.valid > 0, `${t.name}: flips give both outcomes (${tally.valid} valid, ${tally.malformed} malformed)`)
  }
})

const frames = suite('frame decoder under fuzzing')

/** Runs chunks through decodeFrames and the message decoder; only wire-format errors may come out. */
async function checkFrames (t: Target, chunks: Uint8Array[], maxBytes: number): Promise<'ok' | 'error'> {
  const started = performance.now()
  try {
    for await (const payload of decodeFrames(chunks, { maxBytes })) {
      try {
        t.decode(payload)
      } catch (err) {
        if ((err as Error).name !== 'MalformedMessageError') throw err
      }
    }
    return 'ok'
  } catch (err) {
    if (!isWireFormatError(err)) throw new Error(`frame decoder threw ${(err as Error).name}: ${(err as Error).message} for ${hex(chunks[0] ?? new Uint8Array(0))}`, { cause: err })
    return 'error'
  } finally {
    const ms = performance.now() - started
    const again = async (): Promise<void> => { for await (const payload of decodeFrames(chunks, { maxBytes })) t.decode(payload) }
    const slow = ms > SLOW_MS ? await slowEveryTimeAsync(again) : undefined
    if (slow !== undefined) throw new Error(`frame decoding took ${ms.toFixed(0)} ms, then at best ${slow.toFixed(0)} ms`)
  }
}

function split (rand: () => number, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    const n = 1 + Math.floor(rand() * 40)
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  return out
}

frames('random bytes in random chunks', async () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: random bytes in random chunks')
  const rand = prng(seed + 3)
  for (const t of targets) {
    for (let i = 0; i < RUNS; i++) await checkFrames(t, split(rand, randomBytes(rand, 200)), 1 + Math.floor(rand() * 300))
  }
})

frames('truncations and bit flips of streams of valid frames', async () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: truncations and bit flips of streams of valid frames')
  const rand = prng(seed + 4)
  for (const t of targets) {
    const valid = samples(t, 60).map(p => encodeFrame(p))
    let errors = 0
    for (let i = 0; i < RUNS; i++) {
      const stream = Buffer.concat(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => valid[Math.floor(rand() * valid.length)]!))
      const mutated = rand() < 0.5 ? stream.subarray(0, Math.floor(rand() * stream.length)) : flipBits(rand, stream)
      if (await checkFrames(t, split(rand, mutated), 4 * 1024 * 1024) === 'error') errors++
    }
    assert.ok(errors > 0, `${t.name}: some mutated streams must fail`)
  }
})

frames('intact streams of valid frames decode completely', async () => {
  if (process.env.MESHFLOW_FUZZ_TRACE) console.error('case: intact streams of valid frames decode completely')
  for (const t of targets) {
    const payloads = samples(t, 50)
    const stream = Buffer.concat(payloads.map(p => encodeFrame(p)))
    const out: unknown[] = []
    for await (const p of decodeFrames(split(prng(seed), stream), { maxBytes: 4 * 1024 * 1024 })) out.push(t.decode(p))
    assert.equal(out, payloads.map(p => t.decode(p)))
  }
})

messages.run()
frames.run()

/**
 * The connector contract suite (STYLE rule 13): every source and sink runs the same tests
 * against its real system through a harness (`test/connectors/<name>/<name>-harness.ts`).
 *
 * A source: reads everything written; resumes after failures from its checkpoint without
 * loss (and without duplicates when it promises exactly-once); moves its splits from
 * parallelism 2 to 3 through a savepoint; survives its system being unreachable for a few
 * seconds; sends a bad record to the dead-letter output naming where it is, or fails the
 * job naming it. A sink: writes everything, across failures and an outage, exactly once
 * when it promises it.
 *
 * Sources are read into a two-phase-commit test sink (contract-jobs.ts), so what counts is
 * what a transactional downstream would have made visible.
 *
 * @example
 * // test/connectors/kafka/contract.test.ts
 * import { sourceContract, sinkContract } from '../contract.ts'
 * import { kafkaSourceHarness, kafkaSinkHarness } from './kafka-harness.ts'
 * sourceContract(kafkaSourceHarness)
 * sinkContract(kafkaSinkHarness)
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutputTag, StreamEnvironment, WatermarkStrategy, type Sink, type Source } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { withOutage, type ServiceName } from '../services/services.ts'
import { until } from '../cluster/local-mesh.ts'
import { CommittedOutput, runUntil, SavepointPeer } from './contract-jobs.ts'

/** One record of the suite: what every harness writes and reads (as JSON in its system). */
export interface ContractRecord {
  readonly id: number
  readonly key: string
  readonly payload: string
}

export type Guarantee = 'exactly-once' | 'at-least-once'

export interface SourceHarness {
  /** The connector's name, e.g. 'kafka'. */
  readonly name: string
  /** The system the outage test makes unreachable (none: no outage test). */
  readonly service?: ServiceName
  /** What the source promises under checkpoints: no duplicates, or no loss only. */
  readonly guarantee: Guarantee
  /** The most parallel readers the source allows (e.g. 1 for a single queue read exactly once). */
  readonly maxParallelism?: number
  /** A fresh resource (topic, queue, stream…) with `splits` partitions where that applies. */
  create(options: { splits: number }): Promise<SourceFixture>
}

export interface SourceFixture {
  /** Writes records into the system, as JSON, in order. */
  write(records: readonly ContractRecord[]): Promise<void>
  /** Writes one record the source's deserializer rejects. */
  writeMalformed(): Promise<void>
  /** A source reading the resource (unbounded is fine: the suite stops the job). */
  source(options: { deadLetter?: OutputTag<unknown> }): Source<ContractRecord, any>
  /** What names a bad record's place (topic/partition/offset…) in its dead letter or error. */
  readonly badRecordLocation: RegExp
  /** The text of a dead letter that `badRecordLocation` must match. */
  describeDeadLetter(deadLetter: unknown): string
  delete(): Promise<void>
}

export interface SinkHarness {
  readonly name: string
  readonly service?: ServiceName
  /** What the sink promises under checkpoints. */
  readonly guarantee: Guarantee
  create(): Promise<SinkFixture>
}

export interface SinkFixture {
  sink(): Sink<ContractRecord>
  /** Everything a reader sees (read committed), waiting up to `timeoutMs` for at least `atLeast` records. */
  readAll(atLeast: number, timeoutMs: number): Promise<ContractRecord[]>
  delete(): Promise<void>
}

/** Records `from` .. `to - 1` over a few keys, each a little over 100 bytes as JSON. */
export function contractRecords (from: number, to: number): ContractRecord[] {
  const out: ContractRecord[] = []
  for (let id = from; id < to; id++) out.push({ id, key: `k${id % 13}`, payload: `p${id}`.padEnd(80, '.') })
  return out
}

const WAIT_MS = 120_000

/**
 * Checks `seen` against ids `0 .. count - 1`: every id present, and each exactly once when
 * `guarantee` is exactly-once.
 */
export function assertDelivered (seen: readonly ContractRecord[], count: number, guarantee: Guarantee, what: string): void {
  const times = new Map<number, number>()
  for (const r of seen) {
    assert.ok(Number.isInteger(r.id) && r.id >= 0 && r.id < count, `${what}: unexpected record ${JSON.stringify(r)}`)
    times.set(r.id, (times.get(r.id) ?? 0) + 1)
  }
  const missing: number[] = []
  for (let id = 0; id < count && missing.length < 10; id++) if (!times.has(id)) missing.push(id)
  assert.equal(missing, [], `${what}: records lost (${count - times.size} of ${count}; first ${missing.join(', ')})`)
  const expected = contractRecords(0, count)
  for (const r of seen) assert.equal(r, expected[r.id], `${what}: record ${r.id} arrived changed`)
  if (guarantee === 'exactly-once') {
    const doubled = [...times].filter(([, n]) => n > 1).map(([id]) => id)
    assert.equal(doubled.slice(0, 10), [], `${what}: ${doubled.length} records doubled`)
  }
}

function distinct (seen: readonly ContractRecord[]): number {
  return new Set(seen.map(r => r.id)).size
}

function errorText (err: unknown): string {
  const parts: string[] = []
  for (let e = err; e !== undefined && e !== null && parts.length < 8; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e))
    if (!(e instanceof Error)) break
  }
  return parts.join(' <- ')
}

/**
 * Runs `driver` (writing input, injecting faults) alongside `job`, which must end when told
 * `stopped()`. Both always end before this returns; on a failure `explain` runs first (an
 * assertion that names lost or doubled records says more than a timeout).
 */
async function alongside (driver: () => Promise<void>, job: (stopped: () => boolean) => Promise<unknown>, explain: () => void): Promise<void> {
  let failure: unknown
  let failed = false
  const driving = driver().catch(err => { failure = err; failed = true })
  const [, ran] = await Promise.allSettled([driving, job(() => failed)])
  if (!failed && ran.status === 'fulfilled') return
  explain()
  throw failed ? failure : (ran as PromiseRejectedResult).reason
}

/** Registers and runs the source contract of `harness` as one uvu suite. */
export function sourceContract (harness: SourceHarness): void {
  const test = suite(`${harness.name} source contract`)
  const maxP = harness.maxParallelism ?? Number.POSITIVE_INFINITY
  const p = (n: number): number => Math.min(n, maxP)

  async function withFixture (splits: number, fn: (f: SourceFixture) => Promise<void>): Promise<void> {
    const fixture = await harness.create({ splits })
    try {
      await fn(fixture)
    } finally {
      await fixture.delete()
    }
  }

  test('reads everything written', async () => {
    await withFixture(3, async f => {
      const count = 3_000
      await f.write(contractRecords(0, count))
      const out = new CommittedOutput<ContractRecord>()
      const env = StreamEnvironment.create({ parallelism: p(2), checkpointIntervalMs: 100 })
      env.fromSource(f.source({}), WatermarkStrategy.noWatermarks(), `${harness.name}-source`).sinkTo(out.sink())
      await runUntil(env, `${harness.name} reads everything`, () => distinct(out.values) >= count, WAIT_MS)
      assertDelivered(out.values, count, harness.guarantee, 'read')
    })
  })

  test(`resumes from its checkpoint after failures without loss${harness.guarantee === 'exactly-once' ? ' or duplicates' : ''}`, async () => {
    await withFixture(3, async f => {
      // each failure is armed once a checkpoint covers what came before it, so the job
      // restarts from a completed checkpoint, not from the start
      const third = 2_000
      const out = new CommittedOutput<ContractRecord>()
      const env = StreamEnvironment.create({ parallelism: p(2), checkpointIntervalMs: 50, batchSize: 64 })
      env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 50 })
      let armed = false
      let failures = 0
      env.fromSource(f.source({}), WatermarkStrategy.noWatermarks(), `${harness.name}-source`).uid('contract-source')
        .map(r => {
          if (armed && r.id >= (failures + 1) * third) {
            armed = false
            failures++
            throw new Error(`injected failure ${failures}`)
          }
          return r
        }).uid('contract-fail')
        .sinkTo(out.sink())
      await alongside(async () => {
        for (let part = 0; part < 3; part++) {
          if (part > 0) armed = true
          await f.write(contractRecords(part * third, (part + 1) * third))
          await until(`records up to ${(part + 1) * third}`, WAIT_MS, () => distinct(out.values) >= (part + 1) * third)
        }
      }, stopped => runUntil(env, `${harness.name} resumes`, () => stopped() || (failures === 2 && distinct(out.values) >= 3 * third), WAIT_MS * 2),
      () => assertDelivered(out.values, 3 * third, harness.guarantee, 'after failures'))
      assert.is(failures, 2, 'both failures were injected')
      assertDelivered(out.values, 3 * third, harness.guarantee, 'after two failures')
    })
  })

  test(`moves its splits from parallelism ${p(2)} to ${p(3)} through a savepoint`, async () => {
    await withFixture(4, async f => {
      const half = 2_000
      const out = new CommittedOutput<ContractRecord>()
      const build = (env: StreamEnvironment): void => {
        env.enableCheckpointing(100)
        env.fromSource(f.source({}), WatermarkStrategy.noWatermarks(), `${harness.name}-source`).uid('contract-source')
          .sinkTo(out.sink()).uid('contract-sink')
      }
      const peer = await SavepointPeer.start()
      try {
        await f.write(contractRecords(0, half))
        const first = await peer.submit(`${harness.name}-rescale-1`, p(2), build)
        await until('the first half', WAIT_MS, () => distinct(out.values) >= half)
        await peer.stopWithSavepoint(first, `${harness.name}-contract`)
        await f.write(contractRecords(half, 2 * half))
        const second = await peer.submit(`${harness.name}-rescale-2`, p(3), build, `${harness.name}-contract`)
        let ended: { state: string, error: string | undefined } | undefined
        const result = peer.result(second).then(r => { ended = r }, () => {}) // settled: the peer may stop first
        await until('the second half after the restore', WAIT_MS, () => {
          if (distinct(out.values) >= 2 * half) return true
          if (ended !== undefined) throw new Error(`The restored job ended ${ended.state}: ${ended.error ?? ''}`)
          return false
        }).catch(err => {
          assertDelivered(out.values, 2 * half, harness.guarantee, 'across the savepoint')
          throw err
        })
        if (ended === undefined) await peer.cancel(second)
        await result
      } finally {
        await peer.stop()
      }
      assertDelivered(out.values, 2 * half, harness.guarantee, 'across the savepoint')
    })
  })

  if (harness.service !== undefined) {
    const service = harness.service
    test(`survives ${service} being unreachable for a few seconds`, async () => {
      await withFixture(2, async f => {
        const half = 1_500
        await f.write(contractRecords(0, half))
        const out = new CommittedOutput<ContractRecord>()
        const env = StreamEnvironment.create({ parallelism: p(2), checkpointIntervalMs: 100 })
        env.setRestartStrategy({ kind: 'exponential-delay', initialDelayMs: 200, maxDelayMs: 2_000, attempts: 30 })
        env.fromSource(f.source({}), WatermarkStrategy.noWatermarks(), `${harness.name}-source`).sinkTo(out.sink())
        let wroteSecondHalf = false
        await alongside(async () => {
          await until('the first half', WAIT_MS, () => distinct(out.values) >= half)
          await withOutage(service, 5_000)
          await f.write(contractRecords(half, 2 * half))
          wroteSecondHalf = true
        }, stopped => runUntil(env, `${harness.name} outage`, () => stopped() || (wroteSecondHalf && distinct(out.values) >= 2 * half), WAIT_MS * 2),
        () => assertDelivered(out.values, 2 * half, harness.guarantee, 'across the outage'))
        assertDelivered(out.values, 2 * half, harness.guarantee, 'across the outage')
      })
    })
  }

  test('sends a bad record to the dead-letter output, naming where it is', async () => {
    await withFixture(1, async f => {
      await f.write(contractRecords(0, 2))
      await f.writeMalformed()
      await f.write(contractRecords(2, 4))
      const tag = new OutputTag<unknown>('bad-records')
      const out = new CommittedOutput<ContractRecord>()
      const dead = new CommittedOutput<unknown>()
      const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: 100 })
      const records = env.fromSource(f.source({ deadLetter: tag }), WatermarkStrategy.noWatermarks(), `${harness.name}-source`)
      records.sinkTo(out.sink())
      records.sideOutput(tag).sinkTo(dead.sink())
      await runUntil(env, `${harness.name} dead letters`, () => distinct(out.values) >= 4 && dead.values.length >= 1, WAIT_MS)
      assertDelivered(out.values, 4, harness.guarantee, 'around the bad record')
      assert.is(dead.values.length, 1, 'one dead letter')
      assert.match(f.describeDeadLetter(dead.values[0]), f.badRecordLocation)
    })
  })

  test('without a dead-letter output a bad record fails the job naming where it is', async () => {
    await withFixture(1, async f => {
      await f.write(contractRecords(0, 2))
      await f.writeMalformed()
      const env = StreamEnvironment.create({ parallelism: 1 })
      env.setRestartStrategy({ kind: 'none' })
      env.fromSource(f.source({}), WatermarkStrategy.noWatermarks(), `${harness.name}-source`).sinkTo(new CommittedOutput<ContractRecord>().sink())
      const failed = await runUntil(env, `${harness.name} bad record`, () => false, WAIT_MS).then(() => undefined, (err: unknown) => err)
      assert.ok(failed !== undefined, 'the job failed')
      assert.match(errorText(failed), f.badRecordLocation)
    })
  })

  test.run()
}

/** Registers and runs the sink contract of `harness` as one uvu suite. */
export function sinkContract (harness: SinkHarness): void {
  const test = suite(`${harness.name} sink contract`)

  async function withFixture (fn: (f: SinkFixture) => Promise<void>): Promise<void> {
    const fixture = await harness.create()
    try {
      await fn(fixture)
    } finally {
      await fixture.delete()
    }
  }

  const numbers = (count: number, ratePerSec?: number) => datagen<ContractRecord>({
    count,
    generate: i => contractRecords(i, i + 1)[0]!,
    ...(ratePerSec === undefined ? {} : { ratePerSec })
  })

  test('writes everything', async () => {
    await withFixture(async f => {
      const count = 5_000
      const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
      env.fromSource(numbers(count), WatermarkStrategy.noWatermarks(), 'records').sinkTo(f.sink())
      await env.execute(`${harness.name} sink writes`)
      assertDelivered(await f.readAll(count, WAIT_MS), count, harness.guarantee, 'written')
    })
  })

  test(`writes everything across failures${harness.guarantee === 'exactly-once' ? ', exactly once' : ''}`, async () => {
    await withFixture(async f => {
      const count = 6_000
      const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50, batchSize: 64 })
      env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 50 })
      const failAt = [1_500, 3_500]
      let seen = 0
      let failures = 0
      env.fromSource(numbers(count, 6_000), WatermarkStrategy.noWatermarks(), 'records').uid('contract-records')
        .map(r => {
          if (failures < failAt.length && ++seen >= failAt[failures]!) {
            failures++
            throw new Error(`injected failure ${failures}`)
          }
          return r
        }).uid('contract-fail')
        .sinkTo(f.sink()).uid('contract-sink')
      const result = await env.execute(`${harness.name} sink failures`)
      assert.is(failures, failAt.length, 'both failures were injected')
      assert.ok((result.restarts ?? 0) >= failAt.length, `restarts: ${String(result.restarts)}`)
      assertDelivered(await f.readAll(count, WAIT_MS), count, harness.guarantee, 'after two failures')
    })
  })

  if (harness.service !== undefined) {
    const service = harness.service
    test(`survives ${service} being unreachable for a few seconds`, async () => {
      await withFixture(async f => {
        const count = 4_000
        const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 100 })
        env.setRestartStrategy({ kind: 'exponential-delay', initialDelayMs: 200, maxDelayMs: 2_000, attempts: 30 })
        let written = 0
        env.fromSource(numbers(count, 1_000), WatermarkStrategy.noWatermarks(), 'records')
          .map(r => { written++; return r })
          .sinkTo(f.sink())
        const job = env.execute(`${harness.name} sink outage`)
        await until('some records on their way', WAIT_MS, () => written >= 500)
        await withOutage(service, 5_000)
        await job
        assertDelivered(await f.readAll(count, WAIT_MS), count, harness.guarantee, 'across the outage')
      })
    })
  }

  test.run()
}

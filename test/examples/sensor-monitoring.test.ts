import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from '../../node/index.ts'
import {
  AVERAGE_SLIDE_MS, AVERAGE_WINDOW_MS, averageOf, BURST_GAP_MS, buildSensorMonitoring, optionsOf,
  type Burst, type SlidingAverage
} from '../../examples/sensor-monitoring/job.ts'
import { MAX_JITTER_MS, sensorReadings, SENSORS, tenthsOf, THRESHOLD_C, type Reading } from '../../examples/sensor-monitoring/sensors.ts'
import type { Alert } from '../../examples/sensor-monitoring/threshold-alerts.ts'
import { runCli } from '../cli/spawn-cli.ts'

const COUNT = 4_000

function sortByJson<T> (xs: T[]): T[] {
  return xs.map(x => [JSON.stringify(x), x] as const).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(([, x]) => x)
}

function bySensorInTimeOrder (readings: readonly Reading[]): Map<string, Reading[]> {
  const out = new Map<string, Reading[]>()
  for (const r of readings) {
    const list = out.get(r.sensor) ?? []
    list.push(r)
    out.set(r.sensor, list)
  }
  for (const list of out.values()) list.sort((a, b) => a.ts - b.ts)
  return out
}

/** Every result of the job, computed directly from the readings. */
function expected (count: number, threshold: number): { averages: SlidingAverage[], alerts: Alert[], bursts: Burst[] } {
  const readings = sensorReadings(count)
  const windows = new Map<string, { sensor: string, end: number, tenths: number, n: number }>()
  for (const r of readings) {
    // sliding windows [start, start + size) with start a multiple of the slide, containing ts
    for (let start = r.ts - r.ts % AVERAGE_SLIDE_MS; start > r.ts - AVERAGE_WINDOW_MS; start -= AVERAGE_SLIDE_MS) {
      const end = start + AVERAGE_WINDOW_MS
      const k = `${r.sensor}|${end}`
      const w = windows.get(k) ?? { sensor: r.sensor, end, tenths: 0, n: 0 }
      w.tenths += tenthsOf(r.temp)
      w.n++
      windows.set(k, w)
    }
  }
  const averages = [...windows.values()].map(w => ({ sensor: w.sensor, end: new Date(w.end).toISOString(), avg: averageOf(w.tenths, w.n), readings: w.n }))

  const alerts: Alert[] = []
  const bursts: Burst[] = []
  for (const [sensor, list] of bySensorInTimeOrder(readings)) {
    let alerted = false
    for (const r of list) {
      const above = r.temp > threshold
      if (above === alerted) continue
      alerted = above
      alerts.push({ type: above ? 'ALERT' : 'RECOVERED', sensor, temp: r.temp, at: new Date(r.ts).toISOString() })
    }
    let first = 0
    for (let i = 1; i <= list.length; i++) {
      if (i < list.length && list[i]!.ts - list[i - 1]!.ts < BURST_GAP_MS) continue
      const burst = list.slice(first, i)
      bursts.push({
        sensor,
        start: new Date(burst[0]!.ts).toISOString(),
        end: new Date(burst.at(-1)!.ts + BURST_GAP_MS).toISOString(),
        readings: burst.length,
        maxTemp: Math.max(...burst.map(r => r.temp))
      })
      first = i
    }
  }
  return { averages: sortByJson(averages), alerts: sortByJson(alerts), bursts: sortByJson(bursts) }
}

const want = expected(COUNT, THRESHOLD_C)

test('sensorReadings() is deterministic, has bursts and spikes, and is out of order by less than 1 s', () => {
  const readings = sensorReadings(COUNT)
  assert.is(readings.length, COUNT)
  assert.equal(sensorReadings(100), readings.slice(0, 100))
  let max = Number.NEGATIVE_INFINITY
  for (const r of readings) {
    assert.ok(r.ts > max - MAX_JITTER_MS - 1, 'out of order by less than the watermark bound')
    max = Math.max(max, r.ts)
  }
  assert.is(new Set(readings.map(r => r.sensor)).size, SENSORS.length)
  assert.ok(want.alerts.filter(a => a.type === 'ALERT').length >= 5, 'some sensors overheat')
  assert.ok(want.bursts.length > 2 * SENSORS.length, 'several bursts per sensor')
  // every alert is followed by its recovery within the same burst, except maybe at the end
  assert.ok(want.alerts.filter(a => a.type === 'RECOVERED').length >= want.alerts.length / 2 - SENSORS.length)
})

// a small batch size makes the source subtasks interleave and the watermark advance often
for (const [parallelism, batchSize] of [[1, 1024], [4, 1024], [4, 50]] as const) {
  test(`buildSensorMonitoring computes sliding averages, alerts and bursts exactly at parallelism ${parallelism}, batch size ${batchSize}`, async () => {
    const env = StreamEnvironment.create({ parallelism, batchSize })
    const { averages, alerts, bursts } = buildSensorMonitoring(env, { count: COUNT, threshold: THRESHOLD_C })
    const a = averages.collect()
    const al = alerts.collect()
    const b = bursts.collect()
    await env.execute('sensor-monitoring-test')
    assert.equal(sortByJson(a.values), want.averages)
    assert.equal(sortByJson(al.values), want.alerts)
    assert.equal(sortByJson(b.values), want.bursts)
  })
}

test('the alert threshold comes from --threshold', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const options = optionsOf({ count: String(COUNT), threshold: '60' })
  assert.equal(options, { count: COUNT, threshold: 60 })
  const alerts = buildSensorMonitoring(env, options).alerts.collect()
  await env.execute('sensor-threshold-test')
  assert.equal(sortByJson(alerts.values), expected(COUNT, 60).alerts)
  assert.throws(() => optionsOf({ threshold: 'hot' }), /--threshold needs a number, got 'hot'/)
})

test('meshflow run examples/sensor-monitoring/job.ts prints the same results', async () => {
  const count = 2_000
  const r = await runCli(['run', 'examples/sensor-monitoring/job.ts', '--parallelism', '3', '--', '--count', String(count)])
  assert.is(r.code, 0, r.stderr)
  const got: Record<string, unknown[]> = { avg: [], alert: [], burst: [] }
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue
    const m = /^(avg|alert|burst):\d+> (.*)$/.exec(line)
    assert.ok(m, `unexpected line: ${line}`)
    got[m[1]!]!.push(JSON.parse(m[2]!))
  }
  const small = expected(count, THRESHOLD_C)
  assert.equal(sortByJson(got.avg!), small.averages)
  assert.equal(sortByJson(got.alert!), small.alerts)
  assert.equal(sortByJson(got.burst!), small.bursts)
})

test.run()

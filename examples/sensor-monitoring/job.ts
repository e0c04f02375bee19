/**
 * Sensor monitoring: from a deterministic stream of temperature readings (see
 * sensors.ts), in event time,
 * - a sliding average per sensor over the last minute, every 10 seconds,
 * - an alert when a sensor rises above the threshold and a recovery when it falls back
 *   (threshold-alerts.ts), once per crossing,
 * - one summary per burst of readings (a session window: a burst ends after 30 s of silence).
 *
 *   meshflow run examples/sensor-monitoring/job.ts [-- --count 5000 --threshold 75]
 *
 * `buildSensorMonitoring` declares the pipeline and returns its result streams, so a test
 * can collect them; the job itself prints them.
 */
import {
  defineJob, EventTimeSessionWindows, SlidingEventTimeWindows, WatermarkStrategy,
  type AggregateFunction, type DataStream, type JobArgs, type StreamEnvironment
} from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { sensorReadings, tenthsOf, THRESHOLD_C, type Reading } from './sensors.ts'
import { ThresholdAlerts, type Alert } from './threshold-alerts.ts'

export const DEFAULT_COUNT = 5_000
export const AVERAGE_WINDOW_MS = 60_000
export const AVERAGE_SLIDE_MS = 10_000
export const BURST_GAP_MS = 30_000

/** Average temperature of one sensor over the minute that ends at `end`. */
export interface SlidingAverage {
  readonly sensor: string
  /** Window end (exclusive), ISO 8601. */
  readonly end: string
  /** Rounded to 0.01 degree. */
  readonly avg: number
  readonly readings: number
}

/** One burst of readings of a sensor: a session window. */
export interface Burst {
  readonly sensor: string
  readonly start: string
  /** Last reading + the gap, ISO 8601 (the session window's end). */
  readonly end: string
  readonly readings: number
  readonly maxTemp: number
}

export interface SensorMonitoringStreams {
  readonly averages: DataStream<SlidingAverage>
  readonly alerts: DataStream<Alert>
  readonly bursts: DataStream<Burst>
}

export interface SensorMonitoringOptions {
  readonly count: number
  readonly threshold: number
  /** Labels of the peer the sensor source must run on (on a mesh: the edge device). */
  readonly sourcePlacement?: Readonly<Record<string, string>>
}

interface Stats { tenths: number, n: number, max: number }

/** Sum (in exact tenths of a degree), count and maximum; mergeable for session windows. */
const stats: AggregateFunction<Reading, Stats, Stats> = {
  createAccumulator: () => ({ tenths: 0, n: 0, max: Number.NEGATIVE_INFINITY }),
  add: (r, acc) => { acc.tenths += tenthsOf(r.temp); acc.n++; acc.max = Math.max(acc.max, r.temp); return acc },
  getResult: acc => acc,
  merge: (a, b) => ({ tenths: a.tenths + b.tenths, n: a.n + b.n, max: Math.max(a.max, b.max) })
}

/** Average in degrees, rounded to 0.01, from a sum of tenths. */
export function averageOf (tenths: number, n: number): number {
  return Math.round(tenths * 10 / n) / 100
}

function numberArg (args: JobArgs, name: string, fallback: number, integer: boolean): number {
  const raw = args[name]
  if (raw === undefined) return fallback
  const n = Number(raw.replaceAll('_', ''))
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && (!Number.isSafeInteger(n) || n < 0))) {
    throw new RangeError(`--${name} needs ${integer ? 'a non-negative integer' : 'a number'}, got '${raw}'`)
  }
  return n
}

/** Reads `--count` (default 5 000) and `--threshold` (default 75). */
export function optionsOf (args: JobArgs): SensorMonitoringOptions {
  return { count: numberArg(args, 'count', DEFAULT_COUNT, true), threshold: numberArg(args, 'threshold', THRESHOLD_C, false) }
}

/** Declares the pipeline on `env` and returns its result streams. */
export function buildSensorMonitoring (env: StreamEnvironment, options: SensorMonitoringOptions): SensorMonitoringStreams {
  const all = sensorReadings(options.count)
  const readings = env.fromSource(
    datagen({ count: all.length, generate: i => all[i]! }),
    WatermarkStrategy.forBoundedOutOfOrderness<Reading>(1_000).withTimestampAssigner(r => r.ts),
    'readings')
  if (options.sourcePlacement !== undefined) readings.placement(options.sourcePlacement)
  const bySensor = readings.keyBy(r => r.sensor)

  const averages = bySensor
    .window(SlidingEventTimeWindows.of(AVERAGE_WINDOW_MS, AVERAGE_SLIDE_MS))
    .aggregate(stats, (sensor, w, s): SlidingAverage => ({
      sensor: String(sensor), end: new Date(w.end).toISOString(), avg: averageOf(s.tenths, s.n), readings: s.n
    }))
    .uid('sliding-average')

  const alerts = bySensor
    .process(() => new ThresholdAlerts(options.threshold))
    .uid('threshold-alerts')

  const bursts = bySensor
    .window(EventTimeSessionWindows.withGap(BURST_GAP_MS))
    .aggregate(stats, (sensor, w, s): Burst => ({
      sensor: String(sensor), start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString(), readings: s.n, maxTemp: s.max
    }))
    .uid('bursts')

  return { averages, alerts, bursts }
}

export default defineJob((env, args) => {
  const { averages, alerts, bursts } = buildSensorMonitoring(env, optionsOf(args))
  averages.print('avg')
  alerts.print('alert')
  bursts.print('burst')
})

/**
 * Sensor monitoring across a mesh: the sensor readings are read on the peer labelled
 * `tier=edge` (the device the sensors are wired to); the sliding averages, threshold alerts
 * and burst summaries run wherever the JobManager finds slots. Results go to jsonl files
 * through the exactly-once file sink, with a checkpoint every `--checkpoint-ms` (default
 * 1000): a peer that loses power costs a restart from the last checkpoint, not the output.
 *
 *   meshflow run examples/edge-mesh/job.ts --mesh MA -- --out out/edge-mesh [--count 5000] [--checkpoint-ms 1000]
 */
import { defineJob } from 'meshflow'
import { fileSink } from 'meshflow/connectors/files'
import { buildSensorMonitoring, optionsOf } from '../sensor-monitoring/job.ts'

export default defineJob((env, args) => {
  const out = args.out ?? 'out/edge-mesh'
  env.enableCheckpointing(Number(args['checkpoint-ms'] ?? 1000))
  const { averages, alerts, bursts } = buildSensorMonitoring(env, { ...optionsOf(args), sourcePlacement: { tier: 'edge' } })
  averages.sinkTo(fileSink({ path: `${out}/averages`, format: 'jsonl' }), 'averages-file').uid('averages-file')
  alerts.sinkTo(fileSink({ path: `${out}/alerts`, format: 'jsonl' }), 'alerts-file').uid('alerts-file')
  bursts.sinkTo(fileSink({ path: `${out}/bursts`, format: 'jsonl' }), 'bursts-file').uid('bursts-file')
})

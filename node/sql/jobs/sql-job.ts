/**
 * The job `meshflow sql --mesh` submits for one statement (see node/sql/sql-job-build.ts).
 * It imports only 'meshflow', so a mesh runs it as any job.
 *
 * @example
 * meshflow run node/sql/jobs/sql-job.ts --mesh MA -- --spec '{"sql":"SELECT …","result":"sql-result-…"}'
 */
import { defineJob, buildSqlJob } from 'meshflow'

export default defineJob((env, args) => {
  if (args.spec === undefined) throw new Error('The SQL job needs --spec (its SqlJobSpec as JSON)')
  buildSqlJob(env, JSON.parse(args.spec))
})

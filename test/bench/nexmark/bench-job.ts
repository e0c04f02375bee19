// The Nexmark benchmark's job: query `--query` over `--events` generated events into a sink
// that counts and checksums what it gets and, at the end of input, writes
// `{ "results", "checksum" }` into `<out>/sum-<subtask>.json` (the harness adds them up:
// every checksum is a sum modulo CHECKSUM_MODULUS over disjoint parts).
//   meshflow run test/bench/nexmark/bench-job.ts -- --query q5 --events 1000000 --out dir
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineJob, type Sink } from 'meshflow'
import { nexmarkOptions, nexmarkStream } from './common.ts'
import { checksums } from './flink.ts'
import { queries } from './queries.ts'

function checksumSink (query: string, out: string): Sink<unknown> {
  return {
    createWriter: ctx => {
      let results = 0
      const checksum = checksums[query]?.()
      return {
        write (values) {
          results += values.length
          if (checksum !== undefined) for (const v of values) checksum.add(v)
        },
        finish () {
          mkdirSync(out, { recursive: true })
          writeFileSync(join(out, `sum-${ctx.subtaskIndex}.json`), JSON.stringify({ results, checksum: checksum?.value() ?? 0 }))
        },
        close () {}
      }
    }
  }
}

export default defineJob((env, args) => {
  const query = queries.find(q => q.name === args.query)
  if (query === undefined) throw new Error(`Unknown Nexmark query '${args.query ?? ''}'`)
  if (args.out === undefined) throw new Error('The Nexmark bench job needs --out DIR')
  query.job(nexmarkStream(env, nexmarkOptions(args))).sinkTo(checksumSink(query.name, args.out), 'checksum')
})

/**
 * meshflow SQL against DuckDB (issue 14): every query of queries.ts runs in a SqlSession over
 * the generated datasets (fixtures/sql-data.ts: several partitions, `orders` hash-partitioned
 * on its join key, `events` in many small segments) and in DuckDB over the same rows, and
 * the results must be the same — same column names and types, same rows (in order under
 * ORDER BY, ties excepted), same NULLs, doubles within 1e-9.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../../protocol/error-message.ts'
import { SqlSession } from '../../../node/index.ts'
import { compareResults, describeQuery, type ResultLike } from './fixtures/compare-results.ts'
import { DuckDbOracle } from './fixtures/duckdb-oracle.ts'
import { SQL_TABLES, writeSqlDatasets } from './fixtures/sql-data.ts'
import { QUERIES, type SqlQuery } from './queries.ts'

const test = suite('SqlSession vs DuckDB')
// the same joins again with nothing broadcast (every join shuffled or co-located) at p=3
const shuffled = suite('SqlSession vs DuckDB, joins shuffled at parallelism 3')

let dir = ''
let oracle: DuckDbOracle
let session: SqlSession

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-sql-compare-'))
  await writeSqlDatasets(dir)
  oracle = await DuckDbOracle.open(SQL_TABLES)
  session = await SqlSession.open({ dataDir: dir, parallelism: 2 })
})
test.after(async () => {
  await session.close()
})
shuffled.before(async () => {
  session = await SqlSession.open({ dataDir: dir, parallelism: 3, broadcastMaxRows: 0 })
})
shuffled.after(async () => {
  await session.close()
  oracle.close()
  rmSync(dir, { recursive: true, force: true })
})

/** meshflow's result of `q`, or a failure naming the query and the error. */
async function runInMeshflow (q: SqlQuery): Promise<ResultLike> {
  try {
    const result = await session.execute(q.sql)
    if (result.kind !== 'rows') throw new Error(`a ${result.kind} result, not rows`)
    return result
  } catch (err) {
    assert.unreachable(`${describeQuery(q.name, q.sql)}meshflow failed: ${(err as Error).name}: ${errorMessage(err)}`)
    throw err
  }
}

for (const q of QUERIES) {
  test(`${q.name}: same result as DuckDB`, async () => {
    const expected = await oracle.query(q.sql)
    const actual = await runInMeshflow(q)
    const problem = compareResults(expected, actual, q)
    if (problem !== undefined) assert.unreachable(describeQuery(q.name, q.sql) + problem)
  })
}

for (const q of QUERIES.filter(x => /\bjoin\b|\bexists\b|\bin \(select|from \w+( \w+)?, /i.test(x.sql))) {
  shuffled(`${q.name}: same result as DuckDB`, async () => {
    const expected = await oracle.query(q.sql)
    const actual = await runInMeshflow(q)
    const problem = compareResults(expected, actual, q)
    if (problem !== undefined) assert.unreachable(describeQuery(q.name, q.sql) + problem)
  })
}

test.run()
shuffled.run()

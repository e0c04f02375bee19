/**
 * The PageRank example: its ranks equal a direct power iteration over the same graph, and
 * the termination criterion ends the iteration early once ranks settle.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { StreamEnvironment } from '../../node/index.ts'
import { buildPageRank, DAMPING, webGraph } from '../../examples/pagerank/job.ts'

const pagerank = suite('examples/pagerank')

/** Power iteration until no rank moves more than epsilon (or `max` rounds); returns ranks and rounds. */
function direct (pages: number, max: number, epsilon: number): { ranks: Map<number, number>, rounds: number } {
  const links = webGraph(pages)
  let ranks = new Map(Array.from({ length: pages }, (_, p) => [p, 1 / pages]))
  let rounds = 0
  while (rounds < max) {
    const next = new Map(Array.from({ length: pages }, (_, p) => [p, (1 - DAMPING) / pages]))
    for (const l of links) next.set(l.to, next.get(l.to)! + DAMPING * ranks.get(l.from)! / l.degree)
    rounds++
    const moved = [...next].some(([p, r]) => Math.abs(r - ranks.get(p)!) > epsilon)
    ranks = next
    if (!moved) break
  }
  return { ranks, rounds }
}

pagerank('ranks equal a direct power iteration, stopping where it stops', async () => {
  const pages = 300
  const want = direct(pages, 200, 1e-9)
  assert.ok(want.rounds < 200, 'the graph converges before the cap, so the criterion is what ends it')
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = buildPageRank(env, { pages: String(pages), iterations: '200', epsilon: '1e-9' }).collect()
  await env.execute('pagerank')
  assert.is(out.values.length, pages)
  for (const r of out.values) assert.ok(Math.abs(r.rank - want.ranks.get(r.page)!) < 1e-12, `page ${r.page}`)
  const total = out.values.reduce((s, r) => s + r.rank, 0)
  assert.ok(Math.abs(total - 1) < 1e-9, `ranks sum to 1 (${total})`)
})

pagerank.run()

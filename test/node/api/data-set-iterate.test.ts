/**
 * Bulk iteration: PageRank and a fixed-point computation against direct computations, the
 * termination criterion, static inputs, and misuse errors — at outer parallelism 1 and 4.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { StreamEnvironment, sum, type DataSet } from '../../../node/index.ts'

const it = suite('DataSet.iterate')

interface Link { from: number, to: number, degree: number }
interface Rank { page: number, rank: number }

/** PageRank with damping 0.85 over `links` (every page has out-links), computed directly. */
function pageRank (pages: number[], links: Link[], iterations: number): Map<number, number> {
  let ranks = new Map(pages.map(p => [p, 1 / pages.length]))
  for (let i = 0; i < iterations; i++) {
    const next = new Map(pages.map(p => [p, 0.15 / pages.length]))
    for (const l of links) next.set(l.to, next.get(l.to)! + 0.85 * ranks.get(l.from)! / l.degree)
    ranks = next
  }
  return ranks
}

function graph (n: number, edges: [number, number][]): { pages: number[], links: Link[] } {
  const pages = Array.from({ length: n }, (_, i) => i)
  const outs = new Map<number, Set<number>>(pages.map(p => [p, new Set([(p + 1) % n])]))
  for (const [a, b] of edges) if (a !== b) outs.get(a % n)!.add(b % n)
  const links: Link[] = []
  for (const [from, tos] of outs) for (const to of tos) links.push({ from, to, degree: tos.size })
  return { pages, links }
}

function pageRankJob (env: StreamEnvironment, pages: number[], links: Link[], iterations: number): DataSet<Rank> {
  const initial = env.fromCollection(pages.map(page => ({ page, rank: 1 / pages.length }))).toDataSet()
  const linkSet = env.fromCollection(links).toDataSet()
  const n = pages.length
  return initial.iterate(iterations, (ranks, { links: ls }) => {
    const contributions = ranks.join(ls).where('page').equalTo('from')
      .with((r, l) => ({ page: l.to, rank: 0.85 * r.rank / l.degree }))
    const base = ranks.map(r => ({ page: r.page, rank: 0.15 / n }))
    return contributions.union(base).groupBy('page').aggregate({ rank: sum('rank') }) as unknown as DataSet<Rank>
  }, { statics: { links: linkSet } })
}

for (const parallelism of [1, 4]) {
  it(`PageRank equals a direct computation (p=${parallelism})`, async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 2, max: 30 }),
      fc.array(fc.tuple(fc.nat(60), fc.nat(60)), { maxLength: 80 }),
      fc.integer({ min: 1, max: 8 }),
      async (n, edges, iterations) => {
        const { pages, links } = graph(n, edges)
        const env = StreamEnvironment.create({ parallelism })
        const out = pageRankJob(env, pages, links, iterations).collect()
        await env.execute('pagerank')
        const want = pageRank(pages, links, iterations)
        assert.is(out.values.length, n)
        for (const r of out.values) assert.ok(Math.abs(r.rank - want.get(r.page)!) < 1e-9, `page ${r.page}: ${r.rank} vs ${want.get(r.page)!}`)
      }), { numRuns: parallelism === 1 ? 12 : 6 })
  })
}

it('stops after the first superstep whose termination set is empty', async () => {
  // halves every value until all are below 1; the criterion is the rows still at or above 1
  const env = StreamEnvironment.create({ parallelism: 2 })
  const seen: number[] = []
  const out = env.fromCollection([100, 40, 7]).toDataSet().iterate(50, (xs, _s, i) => {
    seen.push(i)
    const next = xs.map(x => x / 2)
    return { next, termination: next.filter(x => x >= 1) }
  }).collect()
  await env.execute('halving')
  // 100 needs 7 halvings to fall below 1
  assert.equal(out.values.sort((a, b) => a - b), [7 / 128, 40 / 128, 100 / 128])
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7], 'seven supersteps, then it stopped')
})

it('runs exactly maxIterations supersteps without a criterion, and its result feeds the rest of the job', async () => {
  const env = StreamEnvironment.create({ parallelism: 3 })
  const out = env.fromCollection([1, 2, 3]).toDataSet().iterate(5, xs => xs.map(x => x + 1)).map(x => x * 10).collect()
  await env.execute('plus five')
  assert.equal(out.values.sort((a, b) => a - b), [60, 70, 80])
})

it('an empty initial set iterates to nothing; a step that throws fails the job naming iterate', async () => {
  const env = StreamEnvironment.create()
  const out = env.fromCollection<number>([]).toDataSet().iterate(3, xs => xs.map(x => x + 1)).collect()
  await env.execute('empty')
  assert.equal(out.values, [])

  const bad = StreamEnvironment.create()
  bad.fromCollection([1]).toDataSet().iterate(3, (xs, _s, i) => xs.map(x => { if (i === 2) throw new Error('boom in superstep'); return x })).collect()
  let message = ''
  try { await bad.execute('bad') } catch (err) { for (let e: unknown = err; e instanceof Error; e = e.cause) message += `${e.message} | ` }
  assert.match(message, /iterate/)
  assert.match(message, /boom in superstep/)
})

it('misuse fails when the job is built', () => {
  const env = StreamEnvironment.create()
  const ds = env.fromCollection([1]).toDataSet()
  assert.throws(() => ds.iterate(0, xs => xs), /maxIterations must be an integer from 1/)
  assert.throws(() => ds.iterate(2, 'x' as any), /needs a step function/)
  const other = StreamEnvironment.create().fromCollection([1]).toDataSet()
  assert.throws(() => ds.iterate(2, xs => xs, { statics: { other } }), /static input 'other' must be a data set of the same environment/)
})

it.run()

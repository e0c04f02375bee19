/**
 * PageRank with bulk iteration (DataSet.iterate): a deterministic web graph of `--pages`
 * pages (each links to the next one and to a few pseudo-random others), ranks refined for
 * `--iterations` supersteps (default 20) or until no page's rank moves by more than
 * `--epsilon`, then the ten highest ranked pages printed.
 *
 *   meshflow run examples/pagerank/job.ts [-- --pages 1000 --iterations 20 --epsilon 1e-6]
 *
 * `buildPageRank` declares the pipeline and returns the ranks, so a test can collect them.
 */
import { defineJob, sum, type DataSet, type JobArgs, type StreamEnvironment } from 'meshflow'

export interface Link { from: number, to: number, degree: number }
export interface Rank { page: number, rank: number }

export const DAMPING = 0.85

/** The links of the example graph: page p links to p+1 and to up to three others. */
export function webGraph (pages: number): Link[] {
  const links: Link[] = []
  for (let p = 0; p < pages; p++) {
    const to = new Set([(p + 1) % pages, (p * 7 + 3) % pages, (p * p + 11) % pages, (p * 13 + 5) % pages])
    to.delete(p)
    if (to.size === 0) to.add((p + 1) % pages)
    for (const t of to) links.push({ from: p, to: t, degree: to.size })
  }
  return links
}

/** The ranks after the iteration (see the module comment). */
export function buildPageRank (env: StreamEnvironment, args: JobArgs): DataSet<Rank> {
  const pages = Number(args.pages ?? '1000')
  const iterations = Number(args.iterations ?? '20')
  const epsilon = Number(args.epsilon ?? '1e-6')
  const links = env.fromCollection(webGraph(pages), undefined, 'links').toDataSet()
  const initial = env.fromCollection(Array.from({ length: pages }, (_, page) => ({ page, rank: 1 / pages })), undefined, 'pages').toDataSet()
  return initial.iterate(iterations, (ranks, { links: ls }) => {
    const contributions = ranks.join(ls).where('page').equalTo('from')
      .with((r, l) => ({ page: l.to, rank: DAMPING * r.rank / l.degree }))
    const teleport = ranks.map(r => ({ page: r.page, rank: (1 - DAMPING) / pages }))
    const next = contributions.union(teleport).groupBy('page').aggregate({ rank: sum('rank') }) as unknown as DataSet<Rank>
    // Flink's termination criterion: the iteration ends once no page moved more than epsilon
    const moved = next.join(ranks).where('page').equalTo('page')
      .with((n, r) => Math.abs(n.rank - r.rank))
      .filter(delta => delta > epsilon)
    return { next, termination: moved }
  }, { statics: { links } })
}

export default defineJob((env, args) => {
  buildPageRank(env, args)
    .orderBy('rank', 'desc').first(10)
    .map(r => `page ${String(r.page).padStart(5)}  rank ${r.rank.toFixed(6)}`)
    .print()
})

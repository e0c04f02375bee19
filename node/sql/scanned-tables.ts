/**
 * The datasets a logical plan scans, by the names the catalog gave them: what the mesh
 * backend sends the statistics of with a statement's job (see SqlJobSpec.tables).
 *
 * @example
 * scannedTables(planQuery(parseQuery('SELECT * FROM a JOIN b ON a.k = b.k'), catalog).optimized) // ['a', 'b']
 */
import type { LogicalPlan } from './logical-plan.ts'

/** See the module comment (each name once, in the order first scanned). */
export function scannedTables (plan: LogicalPlan): string[] {
  const found = new Set<string>()
  const visit = (p: LogicalPlan): void => {
    switch (p.kind) {
      case 'scan': found.add(p.table); return
      case 'table': case 'values': return
      case 'join': visit(p.left); visit(p.right); return
      case 'union': for (const i of p.inputs) visit(i); return
      default: visit(p.input)
    }
  }
  visit(plan)
  return [...found]
}

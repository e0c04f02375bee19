/**
 * Single-server membership changes (thesis §4.1) as a pure function of the configuration.
 */
import type { RaftConfiguration } from '../../../protocol/raft.ts'
import { InvalidConfigChangeError } from './errors.ts'
import type { ConfigChange } from './types.ts'

/**
 * The configuration after `change`, or why `change` does not apply: a learner is added
 * only when not a member yet, only a learner is promoted, and the last voter stays.
 */
export function applyConfigChange (config: RaftConfiguration, change: ConfigChange): RaftConfiguration | InvalidConfigChangeError {
  const { voters, learners } = config
  const id = change.id
  switch (change.type) {
    case 'add-learner':
      if (voters.includes(id) || learners.includes(id)) return new InvalidConfigChangeError(change, 'it is already a member')
      return { voters, learners: [...learners, id] }
    case 'promote':
      if (!learners.includes(id)) return new InvalidConfigChangeError(change, 'it is not a learner')
      return { voters: [...voters, id], learners: learners.filter(l => l !== id) }
    case 'remove':
      if (voters.includes(id)) {
        if (voters.length === 1) return new InvalidConfigChangeError(change, 'it is the last voter')
        return { voters: voters.filter(v => v !== id), learners }
      }
      if (learners.includes(id)) return { voters, learners: learners.filter(l => l !== id) }
      return new InvalidConfigChangeError(change, 'it is not a member')
  }
}

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../util/config.js';
import { documents, isConditionFailure, tableName } from './client.js';
import { keys } from './keys.js';

/**
 * Which version of each ICP readers are served, and which one a background rescore is building. The stream
 * applies every touchpoint to both, so a finished build is current the moment it is switched to.
 */
export type IcpVersions = {
  serving: number | null;
  building: number | null;
  /** When the building version was published; the rescore starts only once every scorer has seen it. */
  buildingSince?: string;
  segments?: number;
  startedAt?: string;
  completedAt?: string;
};

export type ScoringState = { rev: number; icps: Record<string, IcpVersions> };

const EMPTY: ScoringState = { rev: 0, icps: {} };

let cached: { state: ScoringState; readAt: number } | undefined;

/** Scorers re-read this at most CONFIG_CACHE_SECONDS apart; a rescore waits twice that before it starts. */
export async function getScoringState(options: { fresh?: boolean } = {}): Promise<ScoringState> {
  if (!options.fresh && cached && Date.now() - cached.readAt < config.CONFIG_CACHE_SECONDS * 1000)
    return cached.state;
  const result = await documents.send(
    new GetCommand({ TableName: tableName, Key: keys.scoringState(), ConsistentRead: true }),
  );
  const state = result.Item
    ? { rev: result.Item.rev as number, icps: (result.Item.icps as ScoringState['icps']) ?? {} }
    : EMPTY;
  cached = { state, readAt: Date.now() };
  return state;
}

/** Every (ICP, version) the stream must keep current: served ones and ones being built. */
export function activeVersions(state: ScoringState): { icpId: string; version: number; serving: boolean }[] {
  const active: { icpId: string; version: number; serving: boolean }[] = [];
  for (const [icpId, versions] of Object.entries(state.icps)) {
    if (versions.serving !== null) active.push({ icpId, version: versions.serving, serving: true });
    if (versions.building !== null && versions.building !== versions.serving)
      active.push({ icpId, version: versions.building, serving: false });
  }
  return active;
}

/**
 * Changes the state with a conditional write on its revision, re-reading and re-applying on a conflict: two
 * admins publishing at once both land, one after the other.
 */
export async function updateScoringState(
  change: (state: ScoringState) => ScoringState | undefined,
): Promise<ScoringState> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await getScoringState({ fresh: true });
    const next = change(structuredClone(current));
    if (!next) return current;
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.scoringState(),
          UpdateExpression: 'SET rev = :next, icps = :icps, entity = :entity',
          ConditionExpression: current.rev ? 'rev = :rev' : 'attribute_not_exists(rev)',
          ExpressionAttributeValues: {
            ':next': current.rev + 1,
            ':icps': next.icps,
            ':entity': 'scoring-state',
            ...(current.rev ? { ':rev': current.rev } : {}),
          },
        }),
      );
      const written = { rev: current.rev + 1, icps: next.icps };
      cached = { state: written, readAt: Date.now() };
      return written;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error('The scoring state kept changing concurrently');
}

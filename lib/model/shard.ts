import { createHash } from 'node:crypto';

/** Which shard of a partitioned key a prospect belongs to (ranking, due indexes, counters): stable, evenly spread. */
export function shardOf(prospectId: string, shards: number): number {
  return createHash('sha256').update(prospectId).digest().readUInt32BE(0) % shards;
}

import type { ShardRead } from '../model/ranking.js';
/**
 * One page from several ranking shards, each read by one descending Query. An item may be emitted only when no
 * shard can still hold a higher key: a shard whose Query stopped early (`lastKey`) holds nothing unread above its
 * last evaluated key, an exhausted shard holds nothing more at all. So the merged page is exactly ordered even
 * though each shard was read only once.
 */
export type MergedPage<T> = {
  items: T[];
  /** Per shard: the key to continue below, null when nothing is left in it, absent to start at the top. */
  positions: Record<number, string | null>;
  more: boolean;
};

export function mergeShards<T>(
  reads: ShardRead<T>[],
  limit: number,
  previous: Record<number, string | null>,
): MergedPage<T> {
  const cursors = reads.map((read) => ({ read, next: 0, lastEmitted: undefined as string | undefined }));
  const items: T[] = [];
  while (items.length < limit) {
    let best: (typeof cursors)[number] | undefined;
    for (const cursor of cursors) {
      const candidate = cursor.read.items[cursor.next];
      if (candidate && (!best || candidate.sortKey > best.read.items[best.next]!.sortKey)) best = cursor;
    }
    if (!best) break;
    const key = best.read.items[best.next]!.sortKey;
    // Unread items of a shard that stopped early all sort below its last evaluated key.
    const blocked = cursors.some(
      (cursor) =>
        cursor !== best &&
        cursor.next >= cursor.read.items.length &&
        cursor.read.lastKey !== undefined &&
        cursor.read.lastKey > key,
    );
    if (blocked) break;
    items.push(best.read.items[best.next]!.value);
    best.lastEmitted = key;
    best.next++;
  }
  const positions: Record<number, string | null> = { ...previous };
  for (const cursor of cursors) {
    const { read } = cursor;
    if (cursor.next >= read.items.length) {
      // Everything read was emitted: continue where the Query stopped, or nowhere if it ran out.
      positions[read.shard] = read.lastKey ?? null;
    } else if (cursor.lastEmitted !== undefined) {
      positions[read.shard] = cursor.lastEmitted;
    }
  }
  const more = reads.some((read) => positions[read.shard] !== null);
  return { items, positions, more };
}

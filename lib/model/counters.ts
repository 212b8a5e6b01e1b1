/**
 * Experience counters: additions to per-day counter items of one report group. The experience domain decides what
 * to add; the store turns increments into keyed ADD updates inside the transaction of their cause.
 */

export type Dimension = 'grade' | 'segment' | 'form' | 'sequence';

/** One day's additions to one group (`dimension` = `value`), in one of AGGREGATE_SHARDS items. */
export type CounterIncrement = {
  dimension: Dimension;
  value: string;
  day: string;
  shard: number;
  add: Record<string, number>;
};

export type Counters = Record<string, number>;
export type CounterItem = Record<string, number | Counters>;

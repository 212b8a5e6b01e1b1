import type { Touchpoint } from '../model/touchpoint.js';
import { config } from '../util/config.js';

/** A backdated import must outlive the stream (24 h) and its retries, or TTL could delete it before it is scored. */
const MIN_TOUCHPOINT_LIFE_SECONDS = 7 * 86_400;

/**
 * The touchpoint's TTL (epoch seconds): TOUCHPOINT_RETENTION_DAYS after it happened, and never sooner than a week
 * after it arrived. Derived from the touchpoint alone, so a merge that moves it keeps the same expiry.
 */
export function touchpointExpiry(touchpoint: Pick<Touchpoint, 'occurredAt' | 'receivedAt'>): number {
  const occurred = Date.parse(touchpoint.occurredAt) / 1000;
  const received = Date.parse(touchpoint.receivedAt) / 1000;
  return Math.floor(
    Math.max(
      occurred + config.TOUCHPOINT_RETENTION_DAYS * 86_400,
      (Number.isFinite(received) ? received : occurred) + MIN_TOUCHPOINT_LIFE_SECONDS,
    ),
  );
}

import type { ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';

const scheduledEventSchema = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * A scheduled function's "now" is its event's time, not the clock: invoking it with an event from the future
 * (the local Lambda Invoke API) does what will be due then, and a late invocation does what was due.
 */
export function scheduledTime(event: ScheduledEvent | undefined): Date {
  const parsed = scheduledEventSchema.safeParse(event);
  return parsed.success ? new Date(parsed.data.time) : new Date();
}

import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { scheduledTime } from '../lib/edge/events/scheduled-event.js';
import { recheckDueScores } from '../lib/pipeline/recheck-sweep.js';

const SAFETY_MS = 5_000;

export const handler = middy<ScheduledEvent, unknown>().handler((event, context: Context) =>
  recheckDueScores(scheduledTime(event), Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS),
);

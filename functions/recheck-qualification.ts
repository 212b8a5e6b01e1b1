import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { recheckDueScores } from '../lib/prospects/recheck-sweep.js';
import { scheduledTime } from '../lib/scheduled-event.js';

const SAFETY_MS = 5_000;

export const handler = middy<ScheduledEvent, unknown>().handler((event, context: Context) =>
  recheckDueScores(scheduledTime(event), Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS),
);

import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { runRescores } from '../lib/pipeline/rescore.js';

// Leave time to record progress before Lambda's timeout: the next run resumes where this one stopped.
const SAFETY_MS = 15_000;

export const handler = middy<ScheduledEvent, unknown>().handler((_event, context: Context) =>
  runRescores(() => new Date(), Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS),
);

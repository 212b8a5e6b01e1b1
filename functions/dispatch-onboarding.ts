import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { scheduledTime } from '../lib/edge/events/scheduled-event.js';
import { mailProviderFromConfig } from '../lib/mail/index.js';
import { dispatchOnboarding } from '../lib/onboarding/dispatch.js';
import { config } from '../lib/util/config.js';

// Started once per container: the SES client and SMTP transport are reused across runs.
const provider = mailProviderFromConfig(config);
// Leaves time to record the outcome of the last send before Lambda stops the run.
const SAFETY_MS = 10_000;

export const handler = middy<ScheduledEvent, unknown>().handler((event, context: Context) =>
  dispatchOnboarding(scheduledTime(event), {
    provider,
    deadline: Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS,
  }),
);

import middy from '@middy/core';
import { handleMailEvents } from '../lib/onboarding/mail-events.js';

// SNS and EventBridge events alike; a thrown error makes Lambda retry the whole delivery (replay-safe).
export const handler = middy<unknown, unknown>().handler((event) => handleMailEvents(event));

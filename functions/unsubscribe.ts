import { httpHandler } from '../lib/http/handler.js';
import { handleUnsubscribe } from '../lib/onboarding/unsubscribe-endpoint.js';

export const handler = httpHandler((event) => handleUnsubscribe(event));

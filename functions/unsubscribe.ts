import { httpHandler } from '../lib/edge/http/handler.js';
import { handleUnsubscribe } from '../lib/edge/onboarding/unsubscribe-endpoint.js';

export const handler = httpHandler((event) => handleUnsubscribe(event));

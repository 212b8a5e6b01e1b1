import { httpHandler } from '../lib/edge/http/handler.js';
import { handleConsent } from '../lib/edge/prospects/consent-endpoint.js';

export const handler = httpHandler((event) => handleConsent(event));

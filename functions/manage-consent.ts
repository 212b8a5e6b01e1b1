import { httpHandler } from '../lib/http/handler.js';
import { handleConsent } from '../lib/prospects/consent-endpoint.js';

export const handler = httpHandler((event) => handleConsent(event));

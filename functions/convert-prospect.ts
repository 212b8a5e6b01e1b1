import { httpHandler } from '../lib/edge/http/handler.js';
import { handleConversion } from '../lib/edge/onboarding/conversion-endpoint.js';

export const handler = httpHandler((event) => handleConversion(event));

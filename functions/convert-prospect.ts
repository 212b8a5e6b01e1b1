import { httpHandler } from '../lib/http/handler.js';
import { handleConversion } from '../lib/onboarding/conversion-endpoint.js';

export const handler = httpHandler((event) => handleConversion(event));

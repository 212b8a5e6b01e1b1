import { httpHandler } from '../lib/edge/http/handler.js';
import { handleEraseProspect } from '../lib/edge/prospects/erase-endpoint.js';

export const handler = httpHandler((event) => handleEraseProspect(event));

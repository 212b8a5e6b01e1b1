import { httpHandler } from '../lib/http/handler.js';
import { handleEraseProspect } from '../lib/prospects/erase-endpoint.js';

export const handler = httpHandler((event) => handleEraseProspect(event));

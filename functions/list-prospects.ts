import { httpHandler } from '../lib/http/handler.js';
import { handleListProspects } from '../lib/prospects/list-endpoint.js';

export const handler = httpHandler((event) => handleListProspects(event));

import { httpHandler } from '../lib/edge/http/handler.js';
import { handleListProspects } from '../lib/edge/prospects/list-endpoint.js';

export const handler = httpHandler((event) => handleListProspects(event));

import { httpHandler } from '../lib/edge/http/handler.js';
import { handleGetProspect } from '../lib/edge/prospects/prospect-endpoint.js';

export const handler = httpHandler((event) => handleGetProspect(event));

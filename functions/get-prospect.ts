import { httpHandler } from '../lib/http/handler.js';
import { handleGetProspect } from '../lib/prospects/prospect-endpoint.js';

export const handler = httpHandler((event) => handleGetProspect(event));

import { handleConfigRequest } from '../lib/edge/config/config-endpoint.js';
import { httpHandler } from '../lib/edge/http/handler.js';

export const handler = httpHandler((event) => handleConfigRequest(event));

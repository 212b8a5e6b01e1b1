import { handleConfigRequest } from '../lib/admin/config-endpoint.js';
import { httpHandler } from '../lib/http/handler.js';

export const handler = httpHandler((event) => handleConfigRequest(event));

import { handleFormRequest } from '../lib/edge/capture/form-endpoint.js';
import { httpHandler } from '../lib/edge/http/handler.js';

export const handler = httpHandler((event) => handleFormRequest(event));

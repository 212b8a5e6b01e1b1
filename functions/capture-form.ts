import { handleFormRequest } from '../lib/capture/form-endpoint.js';
import { httpHandler } from '../lib/http/handler.js';

export const handler = httpHandler((event) => handleFormRequest(event));

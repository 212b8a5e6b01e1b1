import { httpHandler } from '../lib/edge/http/handler.js';
import { handleLogActivity } from '../lib/edge/prospects/activity-endpoint.js';

export const handler = httpHandler((event) => handleLogActivity(event));

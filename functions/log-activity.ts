import { httpHandler } from '../lib/http/handler.js';
import { handleLogActivity } from '../lib/prospects/activity-endpoint.js';

export const handler = httpHandler((event) => handleLogActivity(event));

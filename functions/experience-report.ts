import { handleExperienceReport } from '../lib/edge/experience/report-endpoint.js';
import { httpHandler } from '../lib/edge/http/handler.js';

export const handler = httpHandler((event) => handleExperienceReport(event));

import { handleExperienceReport } from '../lib/experience/report-endpoint.js';
import { httpHandler } from '../lib/http/handler.js';

export const handler = httpHandler((event) => handleExperienceReport(event));

import { httpHandler } from '../lib/edge/http/handler.js';
import { handleSurvey } from '../lib/edge/onboarding/survey-endpoint.js';

export const handler = httpHandler((event) => handleSurvey(event));

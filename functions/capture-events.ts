import { handleSegmentCall, type SegmentCall } from '../lib/edge/capture/events-endpoint.js';
import { httpHandler } from '../lib/edge/http/handler.js';

const CALLS = new Set<SegmentCall>(['batch', 'track', 'identify', 'page']);

export const handler = httpHandler((event) => {
  const call = event.rawPath.split('/').pop() as SegmentCall;
  return handleSegmentCall(event, CALLS.has(call) ? call : 'batch');
});

import { streamReader as readerOf } from '../../scripts/local/stream-reader.js';

/** This test table's real stream, from its start, read when the test asks. */
export function streamReader(streamArn: string) {
  return readerOf(streamArn, { endpoint: process.env.DYNAMODB_ENDPOINT!, from: 'start' });
}

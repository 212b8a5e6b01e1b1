import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { handleInboundMailS3 } from '../lib/edge/events/inbound-mail.js';
import { config } from '../lib/util/config.js';

const s3 = new S3Client({ region: config.AWS_REGION });

// S3 invokes asynchronously: a thrown error is retried by Lambda, and a replayed message is recorded once.
export const handler = middy<S3Event, unknown>().handler((event) => handleInboundMailS3(event, s3));

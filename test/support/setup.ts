import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

// Runs before each test file's imports: lib/config.ts reads these once, at import.
process.env.DYNAMODB_ENDPOINT = inject('dynamodbEndpoint');
process.env.TABLE_NAME = `test-${randomBytes(6).toString('hex')}`;
process.env.AWS_REGION ??= 'us-east-1';

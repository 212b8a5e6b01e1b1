import * as z from 'zod';

// Local defaults are safe only because the local stack is loopback-only; a deployed stage must set real secrets.
const LOCAL_SECRET = 'local-development-secret-change-me';

const envSchema = z.object({
  TABLE_NAME: z.string().min(3).default('prospect-scoring-local'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  STAGE: z.string().default('local'),
  PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
  /** Keyed hash of normalised email addresses, for lookups without storing the address in a key. */
  IDENTITY_HMAC_SECRET: z.string().min(16).default(LOCAL_SECRET),
  /** Signs opaque paging cursors so a client cannot forge keys. */
  CURSOR_SECRET: z.string().min(16).default(LOCAL_SECRET),
  /** `apigateway`: trust the HTTP API JWT authorizer's verified claims; `local`: verify HS256 tokens ourselves. */
  AUTH_MODE: z.enum(['apigateway', 'local']).default('local'),
  TOKEN_SECRET: z.string().min(16).default(LOCAL_SECRET),
  CONFIG_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /** How long a Segment messageId is remembered for deduplication (Segment itself promises 24 h). */
  DEDUP_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(24)
    .max(24 * 90)
    .default(72),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = z.infer<typeof envSchema>;

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid environment: ${fields}`);
  }
  if (
    parsed.data.STAGE !== 'local' &&
    parsed.data.AUTH_MODE === 'local' &&
    parsed.data.TOKEN_SECRET === LOCAL_SECRET
  ) {
    throw new Error('Invalid environment: TOKEN_SECRET must be set outside the local stage');
  }
  return parsed.data;
}

/** Parsed once per process: a Lambda with a bad environment fails at init, not on the first request. */
export const config: Config = parseConfig(process.env);

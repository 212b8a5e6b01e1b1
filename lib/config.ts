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
  /** `outbox` writes .eml files locally; `smtp` needs SMTP_URL; `ses` uses SES v2 in AWS_REGION. */
  MAIL_PROVIDER: z.enum(['ses', 'smtp', 'outbox']).default('outbox'),
  /** `smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  OUTBOX_DIR: z.string().min(1).default('outbox'),
  MAIL_FROM: z
    .string()
    .regex(
      /^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
      'must be an address, optionally as Name <address>',
    )
    .default('Example Inc. <onboarding@example.com>'),
  /** Routes SES bounce, complaint and delivery events to handleMailEvents. */
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
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
  if (parsed.data.MAIL_PROVIDER === 'smtp' && !parsed.data.SMTP_URL) {
    throw new Error('Invalid environment: SMTP_URL is required when MAIL_PROVIDER=smtp');
  }
  return parsed.data;
}

/** Parsed once per process: a Lambda with a bad environment fails at init, not on the first request. */
export const config: Config = parseConfig(process.env);

import * as z from 'zod';

// Local defaults are safe only because the local stack is loopback-only; a deployed stage must set real secrets.
const LOCAL_SECRET = 'local-development-secret-change-me';

const secretList = z
  .string()
  .transform((value) => value.split(',').map((secret) => secret.trim()))
  .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters')).min(1));

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
  /**
   * Raw touchpoints (properties, page, traits as sent) expire this long after they happened (DynamoDB TTL); scores
   * and experience counters keep their effect. The default covers a year plus a month of year-on-year comparison.
   */
  TOUCHPOINT_RETENTION_DAYS: z.coerce.number().int().min(30).max(3650).default(395),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /**
   * A ranked list reads the ranking as of this long ago: a score planned before then but committed after the first
   * page (transaction latency, clock skew between Lambdas) then never counts as already valid for the walk.
   */
  RANKING_READ_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
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
  /** Conversion webhook HMAC secrets, comma-separated: every one is accepted, so a rotation lists old and new. */
  WEBHOOK_SECRETS: secretList.default([LOCAL_SECRET]),
  /** Unsubscribe token secrets, comma-separated: the first signs, all verify (retired ones for old emails). */
  UNSUBSCRIBE_SECRETS: secretList.default([LOCAL_SECRET]),
  /** Sends of one onboarding step tried before it is given up (throttling, 4xx, provider errors). */
  MAX_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** First retry delay of a step; doubled per attempt (full jitter), capped at 6 h. */
  SEND_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** A claim with no outcome after this long was left by a crashed dispatcher: abandoned, never re-sent. */
  SEND_LEASE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /**
   * Domains (`example.com`) and addresses verified as senders (SES identities): a sequence's `from` and `replyTo`
   * must be one of them, or at one of the domains. Comma-separated.
   */
  MAIL_IDENTITIES: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((identity) => identity.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^([^\s@<>]+@)?[a-z0-9.-]+\.[a-z]{2,}$|^[a-z0-9.-]+$/, 'must be a domain or an address'),
        )
        .min(1),
    )
    .default(['example.com']),
  /**
   * The domain whose mail we receive (an SES receipt rule, or the local SMTP receiver): when set, every email's
   * Reply-To carries a signed `reply+<token>@<domain>`, and replies become `email-reply` touchpoints.
   */
  REPLY_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'must be a domain name')
    .transform((value) => value.toLowerCase())
    .optional(),
  /** Reply address token secrets, comma-separated: the first signs, all verify. */
  REPLY_SECRETS: secretList.default([LOCAL_SECRET]),
  /** Survey link secrets, comma-separated: the first signs, all verify. */
  SURVEY_SECRETS: secretList.default([LOCAL_SECRET]),
  /** Nobody is sent a survey sooner than this many days after the last one, whatever the sequence. */
  SURVEY_MIN_DAYS_BETWEEN: z.coerce.number().int().min(0).max(3650).default(90),
  /** How long a survey email's links can be answered. */
  SURVEY_LINK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
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
  if (
    parsed.data.STAGE !== 'local' &&
    [
      parsed.data.WEBHOOK_SECRETS,
      parsed.data.UNSUBSCRIBE_SECRETS,
      parsed.data.SURVEY_SECRETS,
      parsed.data.REPLY_SECRETS,
    ].some((secrets) => secrets.includes(LOCAL_SECRET))
  ) {
    throw new Error(
      'Invalid environment: WEBHOOK_SECRETS, UNSUBSCRIBE_SECRETS, SURVEY_SECRETS and REPLY_SECRETS must be set outside the local stage',
    );
  }
  if (parsed.data.MAIL_PROVIDER === 'smtp' && !parsed.data.SMTP_URL) {
    throw new Error('Invalid environment: SMTP_URL is required when MAIL_PROVIDER=smtp');
  }
  return parsed.data;
}

/** Parsed once per process: a Lambda with a bad environment fails at init, not on the first request. */
export const config: Config = parseConfig(process.env);

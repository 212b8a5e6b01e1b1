/**
 * The token of a survey answer link: `s1.<prospectId>.<sequenceId>.<stepId>.<kind>.<answer>.<expires>.<mac>`, where
 * expires is epoch seconds in base 36 and mac is HMAC-SHA256(secret, everything before it) in base64url. One link
 * per answer, each bound to the person, the survey send (sequence and step) and the kind; it stops working at
 * `expires` (SURVEY_LINK_DAYS after the send). The payload is readable by whoever holds the link: ids only.
 *
 * Rotation as for unsubscribe tokens: the first of SURVEY_SECRETS signs, every one verifies.
 */
import { constantTimeEqual, hmacBase64Url } from '../util/crypto.js';
import { SURVEY_KINDS, SURVEY_SCALES, type SurveyKind } from './sequence.js';

export type SurveyTokenPayload = {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  kind: SurveyKind;
  answer: number;
  /** Epoch seconds after which the link no longer records anything. */
  expires: number;
};

export type SurveyTokenCheck =
  | { ok: true; payload: SurveyTokenPayload }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

const VERSION = 's1';
const PROSPECT = /^[a-f0-9]{24}$/;
const CONFIG_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ANSWER = /^(?:[0-9]|10)$/;
const EXPIRES = /^[0-9a-z]{1,8}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
export const MAX_SURVEY_TOKEN_LENGTH = 300;

export function signSurveyToken(payload: SurveyTokenPayload, secret: string): string {
  if (secret.length === 0) throw new Error('survey tokens need a secret');
  const scale = SURVEY_SCALES[payload.kind];
  if (
    !PROSPECT.test(payload.prospectId) ||
    !CONFIG_ID.test(payload.sequenceId) ||
    !CONFIG_ID.test(payload.stepId) ||
    !Number.isInteger(payload.answer) ||
    payload.answer < scale.min ||
    payload.answer > scale.max
  )
    throw new RangeError('a survey token needs a prospect id, config ids and an answer on the scale');
  const signed = [
    VERSION,
    payload.prospectId,
    payload.sequenceId,
    payload.stepId,
    payload.kind,
    String(payload.answer),
    Math.floor(payload.expires).toString(36),
  ].join('.');
  return `${signed}.${hmacBase64Url(secret, signed)}`;
}

/** Checks a token against every secret, and its expiry at `now`; says why one is refused. */
export function verifySurveyToken(token: string, secrets: readonly string[], now: Date): SurveyTokenCheck {
  if (typeof token !== 'string' || token.length > MAX_SURVEY_TOKEN_LENGTH)
    return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 8) return { ok: false, reason: 'malformed' };
  const [version, prospectId, sequenceId, stepId, kind, answer, expires, given] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    version !== VERSION ||
    !PROSPECT.test(prospectId) ||
    !CONFIG_ID.test(sequenceId) ||
    !CONFIG_ID.test(stepId) ||
    !(SURVEY_KINDS as readonly string[]).includes(kind) ||
    !ANSWER.test(answer) ||
    !EXPIRES.test(expires) ||
    !MAC.test(given)
  )
    return { ok: false, reason: 'malformed' };
  const signed = parts.slice(0, 7).join('.');
  let valid = false;
  for (const secret of secrets)
    if (secret.length > 0) valid = constantTimeEqual(hmacBase64Url(secret, signed), given) || valid;
  if (!valid) return { ok: false, reason: 'forged' };
  const payload: SurveyTokenPayload = {
    prospectId,
    sequenceId,
    stepId,
    kind: kind as SurveyKind,
    answer: Number(answer),
    expires: Number.parseInt(expires, 36),
  };
  const scale = SURVEY_SCALES[payload.kind];
  if (payload.answer < scale.min || payload.answer > scale.max) return { ok: false, reason: 'malformed' };
  if (now.getTime() / 1000 > payload.expires) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ThrottledError } from '../model/errors.js';
import { documents, tableName } from './client.js';
import { keys, withoutKeys } from './keys.js';
import { type TransactItem, transactWrite } from './transaction.js';

export type SendStatus = 'claimed' | 'retry' | 'sent' | 'failed' | 'abandoned';

export type SendRecord = {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  status: SendStatus;
  claimToken?: string;
  claimedAt?: string;
  attempts: number;
  providerMessageId?: string;
  lastError?: string;
  sentAt?: string;
  surveyKind?: string;
};

export type SendUpdate = {
  stepId: string;
  /** The claim this outcome belongs to: a stale claimant cannot overwrite another's outcome. */
  claimToken: string;
  status: 'sent' | 'failed' | 'abandoned' | 'retry';
  providerMessageId?: string;
  reason?: string;
  /** A survey sent: its kind, so that an answer can be checked against what was asked. */
  surveyKind?: string;
};

/** `taken` carries the send record that holds the step, as the refused claim found it. */
export type ClaimOutcome =
  | 'claimed'
  | 'moved'
  | 'suppressed'
  | 'unsubscribed'
  | 'not-mailable'
  | 'survey-capped'
  | { taken: SendRecord };

/** What a claim must find true of the person, as the dispatcher decided for the step's category. */
export type ClaimTerms = {
  /** The category of the step: an unsubscribe from it refuses the claim. */
  category: string;
  /** Marketing needs the profile's marketing consent. */
  needsConsent: boolean;
  /** A survey: claimed only if the last survey sent was before `before` (or is this one), and recorded. */
  survey?: { before: string };
};

/**
 * Claims one step for sending, in one transaction: the send record (new, or one released for a retry), the
 * enrollment still at that step and active, the address not suppressed nor unsubscribed from the step's category,
 * and the profile still there, not being erased, with marketing consent when the step needs it (a withdrawal or
 * an erasure after the dispatcher's read wins). Whoever wins the claim is the only one who may send the step.
 */
export async function claimStep(input: {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  stepIndex: number;
  emailHash: string;
  token: string;
  now: Date;
  terms: ClaimTerms;
}): Promise<ClaimOutcome> {
  const { prospectId, sequenceId, stepId, terms } = input;
  const outcome = await transactWrite([
    {
      name: 'send',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.sendRecord(prospectId, sequenceId, stepId),
          UpdateExpression:
            'SET entity = :entity, prospectId = :p, sequenceId = :s, stepId = :step, #status = :claimed, claimToken = :token, claimedAt = :now, attempts = if_not_exists(attempts, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(PK) OR #status = :retry',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'send',
            ':p': prospectId,
            ':s': sequenceId,
            ':step': stepId,
            ':claimed': 'claimed',
            ':retry': 'retry',
            ':token': input.token,
            ':now': input.now.toISOString(),
            ':zero': 0,
            ':one': 1,
          },
          // A taken step is resolved from its record: returned here, it need not be read again.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    },
    {
      name: 'enrollment',
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.enrollment(prospectId, sequenceId),
          ConditionExpression: '#status = :active AND stepIndex = :index',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':index': input.stepIndex },
        },
      },
    },
    {
      name: 'suppression',
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.suppression(input.emailHash),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    {
      name: 'unsubscribed',
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.categorySuppression(input.emailHash, terms.category),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    { name: 'profile', item: profileClaim(input) },
  ]);
  if (outcome.committed) return 'claimed';
  const { failed, current } = outcome;
  if (failed.includes('enrollment')) return 'moved';
  if (failed.includes('suppression')) return 'suppressed';
  if (failed.includes('unsubscribed')) return 'unsubscribed';
  if (failed.includes('profile')) {
    const profile = current.get('profile');
    // Mailable as such, so what refused it was the survey cap.
    return profile && terms.survey && mailable(profile, terms.needsConsent)
      ? 'survey-capped'
      : 'not-mailable';
  }
  const taken = current.get('send');
  if (taken) return { taken: withoutKeys(taken) as SendRecord };
  throw new ThrottledError('The step is being claimed concurrently; retry shortly');
}

function mailable(profile: Record<string, unknown>, needsConsent: boolean): boolean {
  const consent = profile.consent as { marketing?: unknown } | undefined;
  return (
    profile.erasingAt === undefined &&
    profile.mergedInto === undefined &&
    (!needsConsent || consent?.marketing === true)
  );
}

/**
 * The profile's part of a claim: it exists, is not being erased or merged away, has marketing consent when the
 * step needs it; for a survey, the last survey claimed is old enough (or is this very step, claimed again after a
 * retry), and this one is recorded in the same write, so two sequences cannot both ask inside the cap.
 */
function profileClaim(input: {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  now: Date;
  terms: ClaimTerms;
}) {
  const { terms } = input;
  const conditions = [
    'attribute_exists(PK)',
    'attribute_not_exists(erasingAt)',
    'attribute_not_exists(mergedInto)',
  ];
  const values: Record<string, unknown> = {};
  if (terms.needsConsent) {
    conditions.push('consent.marketing = :true');
    values[':true'] = true;
  }
  const Key = keys.prospectProfile(input.prospectId);
  if (!terms.survey)
    return {
      ConditionCheck: {
        TableName: tableName,
        Key,
        ConditionExpression: conditions.join(' AND '),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      },
    };
  conditions.push(
    '(attribute_not_exists(lastSurvey) OR lastSurvey.#at < :before OR (lastSurvey.sequenceId = :sequence AND lastSurvey.stepId = :step))',
  );
  return {
    Update: {
      TableName: tableName,
      Key,
      UpdateExpression: 'SET lastSurvey = :survey',
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: {
        ...values,
        ':before': terms.survey.before,
        ':sequence': input.sequenceId,
        ':step': input.stepId,
        ':survey': { at: input.now.toISOString(), sequenceId: input.sequenceId, stepId: input.stepId },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
}

export async function getSendRecord(
  prospectId: string,
  sequenceId: string,
  stepId: string,
): Promise<SendRecord | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.sendRecord(prospectId, sequenceId, stepId),
      ConsistentRead: true,
    }),
  );
  return result.Item ? (withoutKeys(result.Item) as SendRecord) : undefined;
}

/** The update that records a step's send outcome at `at`, on the live claim only. */
export function sendUpdateItem(
  step: { prospectId: string; sequenceId: string },
  send: SendUpdate,
  at: string,
): TransactItem {
  const values: Record<string, unknown> = {
    ':status': send.status,
    ':token': send.claimToken,
    ':now': at,
  };
  const sets = ['#status = :status', 'updatedAt = :now'];
  if (send.providerMessageId !== undefined) {
    values[':messageId'] = send.providerMessageId;
    sets.push('providerMessageId = :messageId');
  }
  if (send.status === 'sent') sets.push('sentAt = :now');
  if (send.surveyKind !== undefined) {
    values[':surveyKind'] = send.surveyKind;
    sets.push('surveyKind = :surveyKind');
  }
  if (send.reason !== undefined) {
    values[':reason'] = send.reason;
    sets.push('lastError = :reason');
  }
  return {
    Update: {
      TableName: tableName,
      Key: keys.sendRecord(step.prospectId, step.sequenceId, send.stepId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      // Only the live claim: a claimant that comes back after its claim was abandoned changes nothing.
      ConditionExpression: '#status = :claimed AND claimToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ...values, ':claimed': 'claimed' },
    },
  };
}

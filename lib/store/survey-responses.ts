import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Touchpoint } from '../model/touchpoint.js';
import { documents, tableName } from './client.js';
import { keys, withoutKeys } from './keys.js';
import { touchpointItem } from './touchpoints.js';
import { type NamedItem, type TransactItem, transactWrite } from './transaction.js';

/**
 * The answer to one survey sent (`RESPONSE#<sequenceId>#<stepId>`): what the person answered last, and what the
 * scorer has counted (`scoredRevision`, `scoredAnswer`), so that a changed answer replaces the counted one
 * exactly once. Two writers, each setting its own attributes: the recorder (answer, comment, revision) and the
 * scorer (scored*).
 */
export type SurveyResponse = {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  kind: string;
  answer: number;
  comment?: string;
  /** The first answer's time: the survey touchpoint's key, which stays when the answer changes. */
  firstAnsweredAt: string;
  answeredAt: string;
  revision: number;
  scoredRevision?: number;
  scoredAnswer?: number;
};

export function surveyResponseFromItem(item: Record<string, unknown>): SurveyResponse {
  return withoutKeys(item) as SurveyResponse;
}

export async function getSurveyResponse(
  prospectId: string,
  sequenceId: string,
  stepId: string,
): Promise<SurveyResponse | undefined> {
  const result = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.surveyResponse(prospectId, sequenceId, stepId),
      ConsistentRead: true,
    }),
  );
  return result.Item ? surveyResponseFromItem(result.Item) : undefined;
}

/**
 * Writes an answer in one transaction: the response (conditional on the revision read, so two answers at once
 * cannot both count as the next), the survey touchpoint (new for the first answer, rewritten in place for a later
 * one: its key and so its place in the timeline stay), and a check that the person is still there. `extra` is for
 * what must happen with the answer, in the same transaction.
 */
export async function writeSurveyAnswer(input: {
  response: Omit<SurveyResponse, 'scoredRevision' | 'scoredAnswer'>;
  touchpoint: Touchpoint;
  touchpointExpiresAt: number;
  extra?: readonly NamedItem[];
}): Promise<'written' | 'conflict' | 'gone'> {
  const { response, touchpoint } = input;
  const first = response.revision === 1;
  const touchpointPart: TransactItem = first
    ? {
        Put: {
          TableName: tableName,
          Item: touchpointItem(response.prospectId, touchpoint, input.touchpointExpiresAt),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      }
    : {
        Update: {
          TableName: tableName,
          Key: keys.touchpoint(response.prospectId, touchpoint.occurredAt, touchpoint.eventId),
          UpdateExpression: 'SET properties = :properties, revision = :revision, receivedAt = :receivedAt',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: {
            ':properties': JSON.stringify(touchpoint.properties),
            ':revision': response.revision,
            ':receivedAt': touchpoint.receivedAt,
          },
        },
      };
  const outcome = await transactWrite([
    {
      name: 'response',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.surveyResponse(response.prospectId, response.sequenceId, response.stepId),
          UpdateExpression:
            'SET entity = :entity, prospectId = :p, sequenceId = :s, stepId = :step, kind = :kind, answer = :answer, firstAnsweredAt = :first, answeredAt = :at, revision = :revision' +
            (response.comment === undefined ? ' REMOVE #comment' : ', #comment = :comment'),
          ConditionExpression: first ? 'attribute_not_exists(PK)' : 'revision = :previous',
          ExpressionAttributeNames: { '#comment': 'comment' },
          ExpressionAttributeValues: {
            ':entity': 'survey-response',
            ':p': response.prospectId,
            ':s': response.sequenceId,
            ':step': response.stepId,
            ':kind': response.kind,
            ':answer': response.answer,
            ':first': response.firstAnsweredAt,
            ':at': response.answeredAt,
            ':revision': response.revision,
            ...(first ? {} : { ':previous': response.revision - 1 }),
            ...(response.comment === undefined ? {} : { ':comment': response.comment }),
          },
        },
      },
    },
    { name: 'touchpoint', item: touchpointPart },
    {
      name: 'profile',
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: keys.prospectProfile(response.prospectId),
          ConditionExpression:
            'attribute_exists(PK) AND attribute_not_exists(erasingAt) AND attribute_not_exists(mergedInto)',
        },
      },
    },
    ...(input.extra ?? []),
  ]);
  if (outcome.committed) return 'written';
  if (outcome.failed.includes('profile')) return 'gone';
  return 'conflict';
}

/** The answer the scorer counts for a survey, and the revision it counted before (undefined: none). */
export type SurveyScored = {
  prospectId: string;
  sequenceId: string;
  stepId: string;
  revision: number;
  answer: number;
  previousRevision: number | undefined;
};

/**
 * For the scorer's transaction: the answer it counted for this survey, conditional on what it read (so a
 * replaced answer is taken out and the new one counted exactly once).
 */
export function surveyScoredItem(input: SurveyScored): NamedItem {
  return {
    name: 'survey-scored',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.surveyResponse(input.prospectId, input.sequenceId, input.stepId),
        UpdateExpression: 'SET scoredRevision = :revision, scoredAnswer = :answer',
        ConditionExpression:
          input.previousRevision === undefined
            ? 'attribute_exists(PK) AND attribute_not_exists(scoredRevision)'
            : 'scoredRevision = :previous',
        ExpressionAttributeValues: {
          ':revision': input.revision,
          ':answer': input.answer,
          ...(input.previousRevision === undefined ? {} : { ':previous': input.previousRevision }),
        },
      },
    },
  };
}

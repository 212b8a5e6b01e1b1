import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import type { Touchpoint } from '../../model/touchpoint.js';
import { applyTouchpointToScores } from '../../pipeline/apply-scores.js';
import { keys } from '../../store/keys.js';
import { touchpointFromItem } from '../../store/touchpoints.js';
import { log } from '../../util/log.js';

// Different prospects are scored side by side; one prospect's touchpoints strictly in stream order.
const PARALLEL_PROSPECTS = 8;

const touchpointImage = z.object({
  PK: z.string().startsWith('P#'),
  SK: z.string().startsWith(keys.touchpointPrefix),
  entity: z.literal('touchpoint'),
  prospectId: z.string().min(1),
  eventId: z.string().min(1),
  type: z.string().min(1),
  occurredAt: z.string().min(1),
});

type Work = {
  record: DynamoDBRecord;
  prospectId: string;
  touchpoint: Touchpoint;
  key: { PK: string; SK: string };
};

/**
 * The scoreTouchpoints stream consumer. Only touchpoint INSERTs count, and the MODIFY of a survey answer the person
 * changed (its revision went up): REMOVE records (TTL expiry, erasure, merges), the scorer's own marks and every
 * other item are ignored, so expiring raw data never changes a score. Failures are reported per record
 * (ReportBatchItemFailures): Lambda retries from the first failed record, and replays are harmless.
 */
export async function scoreStreamBatch(
  event: DynamoDBStreamEvent,
  now: () => Date = () => new Date(),
): Promise<DynamoDBBatchResponse> {
  const byProspect = new Map<string, Work[]>();
  for (const record of event.Records ?? []) {
    const work = touchpointWork(record);
    if (!work) continue;
    const queue = byProspect.get(work.prospectId) ?? [];
    queue.push(work);
    byProspect.set(work.prospectId, queue);
  }
  const failed: string[] = [];
  const queues = [...byProspect.values()];
  const worker = async () => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      for (let index = 0; index < queue.length; index++) {
        const work = queue[index]!;
        try {
          await applyTouchpointToScores(work.prospectId, work.touchpoint, work.key, now);
        } catch (error) {
          log.error('scoring failed', {
            prospectId: work.prospectId,
            eventId: work.touchpoint.eventId,
            error,
          });
          // The rest of this prospect's records wait for the retry, so its order is kept.
          for (const later of queue.slice(index)) failed.push(later.record.dynamodb?.SequenceNumber ?? '');
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PROSPECTS, queues.length) }, worker));
  if (failed.length) log.warn('scoring batch partly failed', { failed: failed.length });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

function touchpointWork(record: DynamoDBRecord): Work | undefined {
  if (!record.dynamodb?.NewImage) return undefined;
  if (record.eventName !== 'INSERT' && !(record.eventName === 'MODIFY' && revised(record))) return undefined;
  const item = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  const parsed = touchpointImage.safeParse(item);
  if (!parsed.success) return undefined;
  // A touchpoint that a merge moved here keeps the scored mark of the prospect it came from: ignore that.
  const { scoredAt: _scoredAt, mergedFrom: _mergedFrom, expiresAt: _expiresAt, ...rest } = item;
  return {
    record,
    prospectId: parsed.data.prospectId,
    touchpoint: touchpointFromItem(rest),
    key: { PK: parsed.data.PK, SK: parsed.data.SK },
  };
}

/** A touchpoint rewritten with a higher revision (a changed survey answer), not one merely marked scored. */
function revised(record: DynamoDBRecord): boolean {
  const revision = (image: unknown) =>
    Number((image as { revision?: { N?: string } } | undefined)?.revision?.N ?? 0);
  return revision(record.dynamodb?.NewImage) > revision(record.dynamodb?.OldImage);
}

import type { OnboardingSkip } from '../model/prospect.js';
import { type CounterUpdate, counterUpdateItems } from './aggregates.js';
import { tableName } from './client.js';
import { keys } from './keys.js';
import { transactWrite } from './transaction.js';

/**
 * Records on the profile why a new customer got no onboarding email, with the counters it adds, in one
 * transaction conditional on no skip being recorded yet: each customer is counted once. False if one was.
 */
export async function recordOnboardingSkip(
  prospectId: string,
  skip: OnboardingSkip,
  counters: readonly CounterUpdate[],
): Promise<boolean> {
  const outcome = await transactWrite([
    {
      name: 'skip',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.prospectProfile(prospectId),
          UpdateExpression: 'SET onboardingSkipped = :skip',
          ConditionExpression:
            'attribute_exists(PK) AND attribute_not_exists(onboardingSkipped) AND attribute_not_exists(erasingAt)',
          ExpressionAttributeValues: { ':skip': skip },
        },
      },
    },
    ...counterUpdateItems(counters),
  ]);
  return outcome.committed;
}

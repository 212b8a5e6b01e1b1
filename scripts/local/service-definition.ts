import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type Tags } from 'yaml';
import { type FilterPattern, parseFilterPatterns } from './event-filter.js';
import { rateIntervalMs, type ScheduleRule } from './scheduler.js';

/**
 * serverless.yml is the one source of truth for functions, routes and the table: the local stack and the
 * tests read them from it instead of keeping a second copy.
 */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

type HttpApiEvent = string | { method: string; path: string };
export type FunctionDefinition = {
  handler: string;
  timeout?: number;
  events?: { httpApi?: HttpApiEvent; schedule?: unknown; stream?: unknown }[];
};

type StreamEvent = {
  arn?: unknown;
  type?: string;
  batchSize?: number;
  enabled?: boolean;
  filterPatterns?: unknown;
  functionResponseType?: string;
  maximumRetryAttempts?: number;
};
type ScheduleEvent = { rate?: string | string[]; enabled?: boolean; input?: unknown; name?: string };

export type Route = {
  method: string;
  path: string;
  functionName: string;
  pattern: RegExp;
  parameterNames: string[];
};

// CloudFormation's short-form tags only need to parse, not resolve, for local use.
const cloudFormationTags: Tags = ['!Ref', '!GetAtt', '!Sub', '!Join', '!Select', '!If', '!Equals'].map(
  (tag) => ({
    tag,
    resolve: (value: unknown) => ({ [tag]: value }),
    collection: undefined,
  }),
) as unknown as Tags;

type ServiceDefinition = {
  service: string;
  provider: { timeout?: number };
  functions: Record<string, FunctionDefinition>;
  resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
};
let definition: ServiceDefinition | undefined;

/** Read once per process: the local stack consults it on every request, and restarting picks up edits. */
export function readServiceDefinition(): ServiceDefinition {
  definition ??= parse(readFileSync(new URL('serverless.yml', `file://${projectRoot}`), 'utf8'), {
    customTags: cloudFormationTags,
    logLevel: 'silent',
  }) as ServiceDefinition;
  return definition;
}

export function functionDefinitions(): Record<string, FunctionDefinition> {
  return readServiceDefinition().functions;
}

export function httpRoutes(): Route[] {
  const routes: Route[] = [];
  for (const [functionName, definition] of Object.entries(functionDefinitions())) {
    for (const event of definition.events ?? []) {
      if (!event.httpApi) continue;
      const [method, path] =
        typeof event.httpApi === 'string'
          ? (event.httpApi.split(' ') as [string, string])
          : [event.httpApi.method, event.httpApi.path];
      const parameterNames: string[] = [];
      const pattern = new RegExp(
        `^${path.replace(/\{([^}]+)\}/g, (_, name: string) => {
          parameterNames.push(name);
          return '([^/]+)';
        })}$`,
      );
      routes.push({ method: method.toUpperCase(), path, functionName, pattern, parameterNames });
    }
  }
  return routes;
}

/** The function's timeout as serverless.yml sets it (Serverless's default is 6 s). */
export function functionTimeoutMs(functionName: string): number {
  const document = readServiceDefinition();
  return (document.functions[functionName]?.timeout ?? document.provider.timeout ?? 6) * 1000;
}

/** The handler module path (relative to the project root) and export name of a function. */
export function handlerLocation(functionName: string): { modulePath: string; exportName: string } {
  const definition = functionDefinitions()[functionName];
  if (!definition) throw new Error(`No function ${functionName} in serverless.yml`);
  const dot = definition.handler.lastIndexOf('.');
  return {
    modulePath: `${definition.handler.slice(0, dot)}.ts`,
    exportName: definition.handler.slice(dot + 1),
  };
}

/** CreateTable input for the table resource, minus what only CloudFormation understands. */
export function tableDefinition(tableName: string) {
  const table = Object.values(readServiceDefinition().resources.Resources).find(
    (resource) => resource.Type === 'AWS::DynamoDB::Table',
  );
  if (!table) throw new Error('serverless.yml defines no DynamoDB table');
  const {
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
    StreamSpecification,
    TimeToLiveSpecification,
  } = table.Properties as {
    AttributeDefinitions: unknown;
    KeySchema: unknown;
    GlobalSecondaryIndexes?: unknown;
    StreamSpecification: { StreamViewType: string };
    TimeToLiveSpecification?: { AttributeName?: string };
  };
  return {
    create: {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST' as const,
      AttributeDefinitions,
      KeySchema,
      ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
      StreamSpecification: { StreamEnabled: true, StreamViewType: StreamSpecification.StreamViewType },
    },
    ttlAttribute: TimeToLiveSpecification?.AttributeName,
  };
}

export type StreamSubscription = {
  functionName: string;
  batchSize: number;
  filterPatterns: FilterPattern[];
  reportBatchItemFailures: boolean;
  maximumRetryAttempts?: number;
};

/**
 * Every enabled DynamoDB `stream` event of every function. There is one table, so whatever ARN the event names
 * (`!GetAtt ProspectTable.StreamArn`, an imported value) is taken to be its stream.
 */
export function streamSubscriptions(
  functions: Record<string, FunctionDefinition> = functionDefinitions(),
): StreamSubscription[] {
  const subscriptions: StreamSubscription[] = [];
  for (const [functionName, definition] of Object.entries(functions)) {
    for (const event of definition.events ?? []) {
      if (event.stream === undefined) continue;
      const stream: StreamEvent = typeof event.stream === 'object' ? (event.stream as StreamEvent) : {};
      if (stream.enabled === false || (stream.type && stream.type !== 'dynamodb')) continue;
      subscriptions.push({
        functionName,
        // Lambda's default batch size for DynamoDB streams.
        batchSize: stream.batchSize ?? 100,
        filterPatterns: parseFilterPatterns(stream.filterPatterns),
        reportBatchItemFailures: stream.functionResponseType === 'ReportBatchItemFailures',
        ...(stream.maximumRetryAttempts !== undefined
          ? { maximumRetryAttempts: stream.maximumRetryAttempts }
          : {}),
      });
    }
  }
  return subscriptions;
}

/** Every enabled `schedule` event, one rule per expression (Serverless accepts a list of rates). */
export function scheduleRules(
  functions: Record<string, FunctionDefinition> = functionDefinitions(),
  rulePrefix = `${readServiceDefinition().service}-local`,
): ScheduleRule[] {
  const rules: ScheduleRule[] = [];
  for (const [functionName, definition] of Object.entries(functions)) {
    let index = 0;
    for (const event of definition.events ?? []) {
      if (event.schedule === undefined) continue;
      const schedule: ScheduleEvent =
        typeof event.schedule === 'string' ? { rate: event.schedule } : (event.schedule as ScheduleEvent);
      if (schedule.enabled === false) continue;
      for (const expression of [schedule.rate ?? []].flat()) {
        index++;
        rules.push({
          functionName,
          ruleName: schedule.name ?? `${rulePrefix}-${functionName}-rule-${index}`,
          expression,
          intervalMs: rateIntervalMs(expression),
          ...(schedule.input !== undefined
            ? { input: typeof schedule.input === 'string' ? JSON.parse(schedule.input) : schedule.input }
            : {}),
        });
      }
    }
  }
  return rules;
}

/**
 * Lambda event filtering (the `filterPatterns` of an event source mapping), for the local stream poller.
 *
 * Supported, with Lambda's semantics:
 * - a pattern is an object whose keys must all match (AND); nested objects descend into the record;
 * - a leaf is a list of matchers, any of which may match (OR): exact strings, numbers, booleans, `null`,
 *   `{ prefix }`, `{ suffix }`, `{ "equals-ignore-case" }`, `{ "anything-but": value | [values] | { prefix } }`,
 *   `{ exists: true | false }` and `{ numeric: [">", 0, "<=", 5] }`;
 * - when the record's value is a list, the leaf matches if any element matches;
 * - several patterns match a record when any one of them does; no patterns match everything.
 *
 * Not supported (a pattern using them throws at start, so nothing is silently let through): `$or`, `cidr`,
 * `wildcard`, and matching inside the JSON of a string field (Lambda does that for SQS/Kinesis bodies only).
 */
export type FilterPattern = { [key: string]: FilterPattern | Matcher[] };
type Primitive = string | number | boolean | null;
type Matcher = Primitive | Record<string, unknown>;

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'exists', 'numeric']);

/** Parses serverless.yml's `filterPatterns` entries: pattern objects, or `{ Pattern: "<json>" }` as CloudFormation has them. */
export function parseFilterPatterns(raw: unknown): FilterPattern[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error('filterPatterns must be a list');
  return raw.map((entry) => {
    const pattern =
      entry && typeof entry === 'object' && typeof (entry as { Pattern?: unknown }).Pattern === 'string'
        ? JSON.parse((entry as { Pattern: string }).Pattern)
        : entry;
    validatePattern(pattern, '');
    return pattern as FilterPattern;
  });
}

function validatePattern(pattern: unknown, path: string): void {
  if (!pattern || typeof pattern !== 'object' || Array.isArray(pattern))
    throw new Error(`filter pattern${path ? ` at ${path}` : ''} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('$'))
      throw new Error(`filter pattern operator ${key} (at ${at}) is not supported locally`);
    if (Array.isArray(value)) {
      for (const matcher of value) {
        if (matcher !== null && typeof matcher === 'object') {
          const [operator, ...more] = Object.keys(matcher);
          if (!operator || more.length || !OPERATORS.has(operator))
            throw new Error(`filter matcher ${JSON.stringify(matcher)} at ${at} is not supported locally`);
        }
      }
    } else validatePattern(value, at);
  }
}

export function matchesAnyPattern(patterns: readonly FilterPattern[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(pattern, record));
}

export function matchesPattern(pattern: FilterPattern, value: unknown): boolean {
  const object = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = object && Object.hasOwn(object, key) ? object[key] : undefined;
    if (Array.isArray(expected)) return matchesLeaf(expected, actual);
    return actual !== undefined && matchesPattern(expected, actual);
  });
}

function matchesLeaf(matchers: readonly Matcher[], actual: unknown): boolean {
  if (actual === undefined) return matchers.some((matcher) => isExists(matcher, false));
  const values = Array.isArray(actual) ? actual : [actual];
  return matchers.some((matcher) =>
    isExists(matcher, true) ? true : values.some((value) => matchesValue(matcher, value)),
  );
}

function isExists(matcher: Matcher, wanted: boolean): boolean {
  return matcher !== null && typeof matcher === 'object' && matcher.exists === wanted;
}

function matchesValue(matcher: Matcher, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return matcher === value;
  const [operator, operand] = Object.entries(matcher)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(String(operand));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'anything-but':
      if (operand !== null && typeof operand === 'object' && !Array.isArray(operand)) {
        const prefix = (operand as { prefix?: unknown }).prefix;
        return !(typeof value === 'string' && value.startsWith(String(prefix)));
      }
      return !(Array.isArray(operand) ? operand : [operand]).includes(value);
    case 'numeric':
      return matchesNumeric(operand, value);
    default:
      return false;
  }
}

function matchesNumeric(operand: unknown, value: unknown): boolean {
  if (typeof value !== 'number' || !Array.isArray(operand)) return false;
  for (let index = 0; index + 1 < operand.length; index += 2) {
    const bound = Number(operand[index + 1]);
    const ok = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[String(operand[index])];
    if (!ok) return false;
  }
  return true;
}

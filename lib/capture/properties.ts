import { isUnsafeKey } from '../util/text.js';

export const MAX_PROPERTIES_BYTES = 16 * 1024;
const MAX_KEY_LENGTH = 128;
const MAX_STRING_LENGTH = 2000;
const MAX_DEPTH = 6;

/**
 * A copy of free-form properties that is safe to store: prototype keys dropped, strings made well-formed,
 * non-finite numbers dropped, depth and total size bounded (largest values are left out first).
 * Returns what was dropped so the caller can record it.
 */
export function boundProperties(
  input: unknown,
  maxBytes = MAX_PROPERTIES_BYTES,
): { properties: Record<string, unknown>; truncated: boolean } {
  let truncated = false;
  const copy = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return value;
      truncated = true;
      return undefined;
    }
    if (typeof value === 'string') {
      const text = value.toWellFormed();
      if (text.length > MAX_STRING_LENGTH) truncated = true;
      return text.slice(0, MAX_STRING_LENGTH).toWellFormed();
    }
    if (depth >= MAX_DEPTH || typeof value !== 'object') {
      truncated = true;
      return undefined;
    }
    if (Array.isArray(value))
      return value
        .slice(0, 100)
        .map((item) => copy(item, depth + 1))
        .filter((item) => item !== undefined);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isUnsafeKey(key) || key.length > MAX_KEY_LENGTH) {
        truncated = true;
        continue;
      }
      const copied = copy(item, depth + 1);
      if (copied !== undefined)
        Object.defineProperty(out, key.toWellFormed(), {
          value: copied,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  };
  const root =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? (copy(input, 0) as Record<string, unknown>)
      : {};
  // Drop the largest top-level entries until the whole fits.
  let size = Buffer.byteLength(JSON.stringify(root));
  if (size > maxBytes) {
    truncated = true;
    const entries = Object.entries(root).sort(
      (a, b) => JSON.stringify(b[1]).length - JSON.stringify(a[1]).length,
    );
    for (const [key, value] of entries) {
      if (size <= maxBytes) break;
      delete root[key];
      size -= Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value)) + 2;
    }
  }
  return { properties: root, truncated };
}

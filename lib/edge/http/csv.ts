/**
 * CSV as RFC 4180 writes it (comma separated, CRLF after every record, a field quoted when it holds a quote,
 * comma, CR or LF, inner quotes doubled), made safe to open in a spreadsheet: a text cell that starts like a
 * formula gets a leading single quote (OWASP, CSV injection), so `=HYPERLINK(...)` in a company name shows as text.
 * Numbers are data we computed and are written bare, so -12.5 stays a number; only text is ever prefixed.
 */

// OWASP's list, plus the full-width forms some spreadsheet locales also read as formula starts.
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One field. null and undefined are empty; finite numbers and bigints as JavaScript prints them (NaN and
 * Infinity, which JSON also cannot hold, are empty); booleans as true/false; Dates as ISO 8601; other objects
 * as JSON text. Text goes through the formula guard, then quoting.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : '';
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'string':
      return text(value);
    case 'object':
      return text(value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? ''));
    default:
      throw new TypeError(`a ${typeof value} has no CSV form`);
  }
}

/** One record with its CRLF, for writing a response a page at a time. */
export function csvRow(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** A whole document: the header record, then one record per row; every row must have the header's width. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [csvRow(header)];
  for (const [index, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new RangeError(`row ${index} has ${row.length} cells, the header ${header.length}`);
    }
    lines.push(csvRow(row));
  }
  return lines.join('');
}

function text(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Glob matching with `*` (any run, including none) and `?` (one character), case-insensitive. Linear-time
 * two-pointer matching: patterns come from configuration, and a user-supplied regular expression could be made to
 * backtrack for ever (ReDoS); this cannot.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let starPattern = -1;
  let starText = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      starPattern = pi++;
      starText = ti;
    } else if (starPattern !== -1) {
      pi = starPattern + 1;
      ti = ++starText;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

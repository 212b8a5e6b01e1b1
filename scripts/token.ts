/** `npm run token -- prospects:read [more scopes]`: prints a bearer token the local stack accepts. */
import { SCOPES, signLocalToken } from '../lib/edge/http/auth.js';

const scopes = process.argv.slice(2);
const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
if (!scopes.length || unknown.length) {
  process.stderr.write(`usage: npm run token -- <scope...>   (scopes: ${SCOPES.join(', ')})\n`);
  if (unknown.length) process.stderr.write(`unknown scope: ${unknown.join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(`${signLocalToken(scopes)}\n`);

import { join } from 'node:path';
import { dynamo } from '../../lib/store/client.js';
import { applyConfigDirectory } from '../../scripts/local/apply-config.js';
import { projectRoot } from '../../scripts/local/service-definition.js';
import { ensureTable } from '../../scripts/local/table.js';

/** This test file's own table, created as serverless.yml defines it, with the example config applied. */
export async function useTestTable(options: { exampleConfig?: boolean } = {}) {
  const table = await ensureTable(dynamo, process.env.TABLE_NAME!);
  if (options.exampleConfig ?? true) await applyConfigDirectory(join(projectRoot, 'config/example'));
  return table;
}

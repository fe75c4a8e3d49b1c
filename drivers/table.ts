/** Reading the test's own table directly (tests may scan; the product never does). */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClientFrom } from '../functions/commons/adapters/dynamo/document-client';
import type { Environment } from '../functions/commons/environment';

export type TableItem = Record<string, unknown> & { pk: string; sk: string };

/** Every item of the stack's table (paged Scan, consistent read). */
export async function scanTable(env: Environment): Promise<TableItem[]> {
  const db = documentClientFrom(env);
  const items: TableItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: env.TABLE_NAME, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...((page.Items ?? []) as TableItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function countItems(env: Environment): Promise<number> {
  return (await scanTable(env)).length;
}

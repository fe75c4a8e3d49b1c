import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { Environment } from '../../environment';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { InvalidCursorError } from '../../ports';

/** One document client per process; the table name and endpoint come from configuration. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    // A variables map with a key named "constructor" looks like a class instance to the
    // marshaller; it is plain data, so store it as a map.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
}

/** Endpoint overrides (`AWS_ENDPOINT_URL_DYNAMODB`) point the SDK at DynamoDB Local. */
export function documentClientFrom(env: Environment): DynamoDBDocumentClient {
  return createDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, region: env.AWS_REGION });
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** A conditional write: true when written, false when its condition did not hold; other errors throw. */
export async function conditionally(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** A transaction whose first item is conditional: true when written, false when that condition did not hold. */
export async function conditionallyTransacted(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/** Cancellation reasons of a failed TransactWriteItems, by item position. */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => (reason.Code === 'None' ? undefined : reason.Code));
}

/** The item a failed TransactWriteItems returned for the item at `position` (ReturnValuesOnConditionCheckFailure), raw. */
export function cancellationItem(error: unknown, position: number): Record<string, NativeAttributeValue> | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return (error as Error & { CancellationReasons?: { Item?: Record<string, NativeAttributeValue> }[] }).CancellationReasons?.[position]?.Item;
}

/** Every item of a query, following LastEvaluatedKey page by page. */
export async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * One page of a query, and the cursor of the next (none at the end). A cursor is the page's
 * LastEvaluatedKey, base64url JSON: one coming back is accepted only with exactly `keyNames`,
 * short string values, and what `belongs` says is this query's own (never another tenant's).
 */
export async function queryPage(
  db: DynamoDBDocumentClient,
  input: QueryCommandInput,
  page: { limit: number; cursor?: string; keyNames: readonly string[]; belongs: (key: Record<string, string>) => boolean },
): Promise<{ items: Record<string, unknown>[]; next?: string }> {
  const startKey = page.cursor === undefined ? undefined : decodeCursor(page.cursor, page.keyNames, page.belongs);
  const result = await db.send(new QueryCommand({ ...input, Limit: page.limit, ExclusiveStartKey: startKey }));
  const next = result.LastEvaluatedKey && Buffer.from(JSON.stringify(result.LastEvaluatedKey)).toString('base64url');
  return { items: result.Items ?? [], ...(next && { next }) };
}

const MAX_CURSOR_LENGTH = 2048;
const MAX_KEY_VALUE_LENGTH = 512;

function decodeCursor(cursor: string, keyNames: readonly string[], belongs: (key: Record<string, string>) => boolean): Record<string, string> {
  let key: unknown;
  try {
    if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error();
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new InvalidCursorError();
  const entries = Object.entries(key);
  const wellFormed =
    entries.length === keyNames.length && entries.every(([name, value]) => keyNames.includes(name) && typeof value === 'string' && value.length > 0 && value.length <= MAX_KEY_VALUE_LENGTH);
  if (!wellFormed || !belongs(key as Record<string, string>)) throw new InvalidCursorError();
  return key as Record<string, string>;
}

/**
 * Figure 3, `match_scaling_ratio`: `DynamoClientStore.match` in a project with 100,000 clients
 * ÷ the same in a project with 10 clients, same number of requests, against DynamoDB Local.
 *
 * The 100k clients are loaded with parallel BatchWriteItem (25 items each) of exactly the items
 * `DynamoClientStore.put` writes for a new client (the client item and its phone index entries,
 * keys from adapters/dynamo/keys.ts, entries from domain phoneIndexEntries): put() itself would be
 * one Get + one TransactWrite per client.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoClientStore } from '../functions/commons/adapters/dynamo/client-store';
import { createDocumentClient } from '../functions/commons/adapters/dynamo/document-client';
import { clientKey, telephonyIndexKey, variableIndexKey } from '../functions/commons/adapters/dynamo/keys';
import { phoneIndexEntries, type Client } from '../functions/commons/domain/clients';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../functions/commons/contracts/table';
import { ensureTable, LOCAL_AWS } from '../local/dynamodb';
import { countRequests, elapsedMs, formatMs, log, median, now, phoneFor, pool, type Report } from './support';

export interface MatchOptions {
  endpoint: string;
  clients: number;
  /** Stop loading after this long and measure with what is loaded. */
  loadBudgetMs: number;
  matches: number;
  rounds: number;
  /** BatchWrites in flight while loading. */
  concurrency: number;
  /** Matches in flight while measuring. */
  matchConcurrency: number;
  /** Keep the table's stream on (as defined) while loading; off = same keys and index, faster load. */
  streams: boolean;
}

async function createTable(endpoint: string, tableName: string, streams: boolean): Promise<void> {
  if (streams) return ensureTable(endpoint, tableName);
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    const { StreamSpecification: _stream, ...input } = createTableInput(tableName);
    await client.send(new CreateTableCommand(input));
  } finally {
    client.destroy();
  }
}

/** A platform client as the README's walkthrough registers them: a messenger client with three variables, one a phone. */
function platformClient(index: number, createdAt: string): Client {
  return {
    clientId: `c${index}`,
    channel: 'whatsapp',
    variables: { name: `Client ${index}`, city: index % 2 === 0 ? 'Moscow' : 'Kazan', phone: `8 (916) ${phoneFor(index).slice(4, 7)}-${phoneFor(index).slice(7, 9)}-${phoneFor(index).slice(9)}` },
    dealVariables: {},
    createdAt,
  };
}

/** The items `DynamoClientStore.put` writes for a new client (its `writeItems` with no existing item). */
export function itemsOfNewClient(projectId: string, client: Client): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [{ ...clientKey(projectId, client.clientId), ...client, version: 1 }];
  const { telephony, variables } = phoneIndexEntries(client);
  if (telephony) items.push({ ...telephonyIndexKey(projectId, telephony), clientId: client.clientId });
  for (const phone of variables) items.push({ ...variableIndexKey(projectId, phone, client.createdAt, client.clientId), clientId: client.clientId });
  return items;
}

async function batchWrite(db: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 10) throw new Error('BatchWrite: items still unprocessed after 10 attempts');
    const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}

/** Loads `count` clients; returns how many were loaded before the budget ran out. */
async function loadClients(db: DynamoDBDocumentClient, table: string, projectId: string, count: number, budgetMs: number, concurrency: number) {
  const createdAt = new Date(Date.UTC(2026, 0, 1)).toISOString();
  const clientsPerBatch = 12; // 2 items per client (client + one variable index entry): 24 ≤ 25 per BatchWrite
  const batches = function* () {
    for (let start = 0; start < count; start += clientsPerBatch) yield start;
  };
  const started = Date.now();
  let loaded = 0;
  let items = 0;
  await pool(
    batches(),
    concurrency,
    async (start) => {
      const batch: Record<string, unknown>[] = [];
      const end = Math.min(count, start + clientsPerBatch);
      for (let i = start; i < end; i++) batch.push(...itemsOfNewClient(projectId, platformClient(i, createdAt)));
      await batchWrite(db, table, batch);
      loaded += end - start;
      items += batch.length;
    },
    () => Date.now() - started < budgetMs,
  );
  return { loaded, items, ms: Date.now() - started };
}

export async function benchMatch(report: Report, options: MatchOptions): Promise<void> {
  const db = createDocumentClient({ endpoint: options.endpoint, region: LOCAL_AWS.region });
  const counter = countRequests(db);
  try {
    // Each project in its own table, as a worst case for DynamoDB Local (one SQLite table grows).
    const smallTable = `bench-match-small-${Date.now()}`;
    const bigTable = `bench-match-big-${Date.now()}`;
    await createTable(options.endpoint, smallTable, options.streams);
    await createTable(options.endpoint, bigTable, options.streams);
    const small = await loadClients(db, smallTable, 'small', 10, 60_000, 1);
    const big = await loadClients(db, bigTable, 'big', options.clients, options.loadBudgetMs, options.concurrency);
    const rate = big.items / (big.ms / 1000);
    report.detail('match_load', { clients: big.loaded, items: big.items, seconds: big.ms / 1000, itemsPerSecond: Math.round(rate) });
    log(
      `  loaded ${big.loaded} clients (${big.items} items) in ${(big.ms / 1000).toFixed(1)} s: ${Math.round(rate)} items/s ` +
        `(BatchWrite ×${Math.ceil(big.items / 24)}, concurrency ${options.concurrency})`,
    );
    if (big.loaded < options.clients) {
      report.note(
        `DynamoDB Local loaded only ${big.loaded} of ${options.clients} clients within the ${options.loadBudgetMs / 1000} s budget ` +
          `(${Math.round(rate)} items/s; the full load would take ~${Math.round((options.clients * 2) / rate)} s): the big project is measured with ${big.loaded} clients`,
      );
    }

    const smallStore = new DynamoClientStore(db, smallTable);
    const bigStore = new DynamoClientStore(db, bigTable);
    // The same request mix for both: numbers of existing clients (a hit), spread over the project.
    const phonesOf = (clients: number, n: number) => Array.from({ length: n }, (_, i) => phoneFor((i * 7919) % clients));
    const run = async (target: DynamoClientStore, projectId: string, clients: number) => {
      const phones = phonesOf(clients, options.matches);
      let found = 0;
      const started = now();
      await pool(phones, options.matchConcurrency, async (phone) => {
        if (await target.match(projectId, phone)) found++;
      });
      const ms = elapsedMs(started);
      if (found !== phones.length) throw new Error(`match found ${found} of ${phones.length} clients in project ${projectId}`);
      return ms;
    };
    // Warm-up, then alternate rounds so drift hits both sides alike.
    await run(smallStore, 'small', small.loaded);
    await run(bigStore, 'big', big.loaded);
    const smallTimes: number[] = [];
    const bigTimes: number[] = [];
    counter.reset();
    let smallRequests = 0;
    let bigRequests = 0;
    for (let round = 0; round < options.rounds; round++) {
      let before = counter.total();
      smallTimes.push(await run(smallStore, 'small', small.loaded));
      smallRequests += counter.total() - before;
      before = counter.total();
      bigTimes.push(await run(bigStore, 'big', big.loaded));
      bigRequests += counter.total() - before;
    }
    const smallMs = median(smallTimes);
    const bigMs = median(bigTimes);
    const perSmall = smallMs / options.matches;
    const perBig = bigMs / options.matches;
    // Median of the per-round ratios: each pair ran back to back.
    const ratio = median(bigTimes.map((ms, i) => ms / smallTimes[i]!));
    log(
      `  match: ${small.loaded} clients ${formatMs(perSmall)}/match, ${big.loaded} clients ${formatMs(perBig)}/match ` +
        `(medians of ${options.rounds} rounds × ${options.matches} matches, ${options.matchConcurrency} in flight); ` +
        `requests: small ${smallRequests}, big ${bigRequests}`,
    );
    report.figure('match_requests_small', smallRequests / options.rounds, 'requests');
    report.figure('match_requests_big', bigRequests / options.rounds, 'requests');
    report.figure('match_scaling_ratio', ratio, 'ratio');
    report.detail('match', {
      smallClients: small.loaded,
      bigClients: big.loaded,
      matchesPerRound: options.matches,
      rounds: options.rounds,
      smallMsPerMatch: perSmall,
      bigMsPerMatch: perBig,
      requestsPerRound: { small: smallRequests / options.rounds, big: bigRequests / options.rounds },
      commands: counter.byCommand(),
    });
    report.say(
      `match: ${formatMs(perBig)} per match with ${big.loaded} clients vs ${formatMs(perSmall)} with ${small.loaded} ` +
        `(same ${options.matches} Query requests per round, Limit 1 on the number's partition)`,
    );
  } finally {
    db.destroy();
  }
}

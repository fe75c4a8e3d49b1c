/**
 * The list routes answer pages: a client's dialog and the call log are read a page at a time
 * with a `next` cursor, never silently cut short, and a cursor is accepted only for the list
 * that gave it. DynamoDB Local behind the platform API.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClientFrom } from '../../functions/commons/adapters/dynamo/document-client';
import { callKey, callsIndexPk, messageKey } from '../../functions/commons/adapters/dynamo/keys';
import { startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
const projectId = `p-${randomUUID().slice(0, 8)}`;
const otherProject = `p-${randomUUID().slice(0, 8)}`;
const clientId = 'c-pages';
const MESSAGES = 230;
const CALLS = 260;
const base = Date.parse('2026-11-01T09:00:00Z');

async function writeAll(items: Record<string, unknown>[]) {
  const db = documentClientFrom(stack.env);
  for (let i = 0; i < items.length; i += 25) {
    await db.send(new BatchWriteCommand({ RequestItems: { [stack.env.TABLE_NAME!]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

/** Call log items as the call store writes them (only what the log reads). */
function callItem(project: string, i: number) {
  const ext = `call-${String(i).padStart(4, '0')}`;
  const startedAt = base + i * 60_000;
  return {
    ...callKey(project, ext),
    gsi1pk: callsIndexPk(project),
    gsi1sk: `${new Date(startedAt).toISOString()}#${ext}`,
    version: 1,
    extTrackingId: ext,
    direction: 'Incoming',
    outcome: 'missed',
    startedAt,
    state: {},
  };
}

beforeAll(async () => {
  stack = await startTestStack({ pollerConcurrency: 0, renewSweepSeconds: 3600 });
  for (const project of [projectId, otherProject]) {
    expect((await stack.api('PUT', `/projects/${project}/clients/${clientId}`, { channel: 'whatsapp', variables: { name: 'Paged' } })).status).toBe(200);
  }
  await writeAll(
    Array.from({ length: MESSAGES }, (_, i) => {
      const at = new Date(base + i * 1000).toISOString();
      return { ...messageKey(projectId, clientId, at, `m${i}`), text: `message ${i}`, at, kind: 'notification' };
    }),
  );
  await writeAll([...Array.from({ length: CALLS }, (_, i) => callItem(projectId, i)), ...Array.from({ length: 5 }, (_, i) => callItem(otherProject, i))]);
}, 60_000);
afterAll(() => stack?.stop());

async function readAll(path: string, key: 'messages' | 'calls', limit?: number) {
  const seen: any[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const query = new URLSearchParams({ ...(limit && { limit: String(limit) }), ...(cursor && { cursor }) });
    const { status, body } = await stack.api('GET', `${path}?${query}`);
    expect(status).toBe(200);
    seen.push(...body[key]);
    pages.push(body[key].length);
    cursor = body.next;
    if (!cursor) break;
  }
  return { seen, pages };
}

describe('list routes answer pages', () => {
  it("a client's dialog: 100 messages a page by default, oldest first, every message once", async () => {
    const { seen, pages } = await readAll(`/projects/${projectId}/clients/${clientId}/messages`, 'messages');
    expect(pages.slice(0, 3)).toEqual([100, 100, 30]);
    expect(seen.map((m) => m.text)).toEqual(Array.from({ length: MESSAGES }, (_, i) => `message ${i}`));
    const bigger = await readAll(`/projects/${projectId}/clients/${clientId}/messages`, 'messages', 500);
    expect(bigger.pages[0]).toBe(MESSAGES);
  });

  it('the call log: newest first, at most 200 a page, with a cursor to the rest', async () => {
    const { seen, pages } = await readAll(`/projects/${projectId}/calls`, 'calls', 200);
    expect(pages.slice(0, 2)).toEqual([200, 60]);
    expect(seen.map((c) => c.extTrackingId)).toEqual(Array.from({ length: CALLS }, (_, i) => `call-${String(CALLS - 1 - i).padStart(4, '0')}`));
    expect((await stack.api('GET', `/projects/${projectId}/calls`)).body.calls).toHaveLength(50);
  });

  it("a cursor works only for the list that gave it: another project's, another client's or a made-up one is 400", async () => {
    const messages = (await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages?limit=10`)).body.next as string;
    const calls = (await stack.api('GET', `/projects/${projectId}/calls?limit=10`)).body.next as string;
    const forged = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const refused = [
      `/projects/${otherProject}/clients/${clientId}/messages?cursor=${messages}`,
      `/projects/${otherProject}/calls?cursor=${calls}`,
      `/projects/${projectId}/calls?cursor=${messages}`,
      `/projects/${projectId}/clients/${clientId}/messages?cursor=${calls}`,
      `/projects/${projectId}/calls?cursor=${forged({ pk: `P#${otherProject}#CALL#call-0001`, sk: 'CALL', gsi1pk: callsIndexPk(otherProject), gsi1sk: 'x' })}`,
      `/projects/${projectId}/calls?cursor=${forged({ pk: `P#${projectId}#CALL#x`, sk: 'CALL', gsi1pk: callsIndexPk(projectId), gsi1sk: { S: 'x' } })}`,
      `/projects/${projectId}/calls?cursor=not-base64-json`,
      `/projects/${projectId}/calls?cursor=${'A'.repeat(5000)}`,
      `/projects/${projectId}/calls?cursor=%00`,
    ];
    for (const path of refused) {
      const { status, body } = await stack.api('GET', path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body.error).toMatch(/cursor/);
    }
    // The other project still sees only its own calls.
    expect((await stack.api('GET', `/projects/${otherProject}/calls?limit=200`)).body.calls).toHaveLength(5);
    for (const limit of ['0', '201', 'x', '1.5']) expect((await stack.api('GET', `/projects/${projectId}/calls?limit=${limit}`)).status).toBe(400);
    for (const limit of ['0', '501']) expect((await stack.api('GET', `/projects/${projectId}/clients/${clientId}/messages?limit=${limit}`)).status).toBe(400);
  });
});

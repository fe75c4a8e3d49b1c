/** The PBX client never lets its token leave for another origin. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeelinePbxClient, PbxError } from '../../functions/commons/adapters/pbx-client';

let pbx: Server;
let elsewhere: Server;
const seenElsewhere: IncomingHttpHeaders[] = [];
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

beforeAll(async () => {
  elsewhere = createServer((req, res) => {
    seenElsewhere.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  pbx = createServer((_req, res) => res.writeHead(302, { location: `${urlOf(elsewhere)}abonents` }).end());
  await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
});
afterAll(() => Promise.all([pbx, elsewhere].map((server) => new Promise((resolve) => server.close(resolve)))));

describe('a PBX answering with a redirect to another origin', () => {
  it('is not followed: the request fails and the token never reaches the other origin', async () => {
    const client = new BeelinePbxClient({ baseUrl: urlOf(pbx), token: 'pbx-token-that-must-stay', retries: 0 });
    await expect(client.listAbonents()).rejects.toBeInstanceOf(PbxError);
    await expect(client.listAbonents()).rejects.toMatchObject({ failure: 'refused', status: 302 });
    expect(seenElsewhere).toEqual([]);
  });
});

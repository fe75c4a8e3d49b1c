/**
 * Hostile input on every public route: the webhook, every /projects route (beeline/call
 * included), /records, /health and unknown paths. Every bad input gets the documented 4xx
 * (http-api.md: 400/401/403/404/413; beeline/call answers in its own contract, HTTP 200
 * `{"status":"0"}` or 401) with a JSON error body; nothing is written (the test's table is
 * scanned before and after), nothing is queued (no queue consumer runs), no call is started at
 * the PBX, and the process stays healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSecret } from '../../functions/commons/domain/webhook-secret';
import { recordLink } from '../../functions/commons/domain/record-links';
import { ADMIN_TOKEN, eventually, startTestStack, WEBHOOK_KEY, type TestStack } from '../support/harness';
import { xsiEvent } from '../../drivers/xsi';
import { countItems } from '../../drivers/table';
import { rawRequest, type RawAnswer } from './raw-http';

let stack: TestStack;
const P = 'hp';
const SECRET = webhookSecret(WEBHOOK_KEY, P);
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const XML_TYPE = { 'content-type': 'application/xml; charset=UTF-8' };

interface Case {
  route: string;
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Expected status(es). */
  status: number | number[];
  /** `error`: `{"error": "…"}`; `call`: beeline/call's `{"status":"0","error":"…"}`. */
  answer?: 'error' | 'call';
}

// ---------------------------------------------------------------- building blocks

const enc = encodeURIComponent;
const validEvent = xsiEvent({ type: 'SubscriptionTerminatedEvent', abonent: '9000000001' });
const withoutProlog = validEvent.replace('<?xml version="1.0" encoding="UTF-8"?>', '');
const MB2 = 2 * 1024 * 1024;
const deepXml = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
const deepJson = '['.repeat(10_000) + ']'.repeat(10_000);
const bigJsonName = JSON.stringify({ name: 'x'.repeat(MB2) });

/** Ids that are not 1–64 characters of A-Za-z0-9_- (as they appear in a path). */
const BAD_IDS: [string, string][] = [
  ['fullwidth letters', enc('ｈｐ')],
  ['an RTL override', enc('\u202ehp')],
  ['a zero-width space', enc('h\u200bp')],
  ['%2e%2e%2f', '%2e%2e%2f'],
  ['..%2f..%2fetc', '..%2f..%2fetc'],
  ['NUL', 'hp%00'],
  ['65 characters', 'a'.repeat(65)],
  ['an emoji', enc('📞')],
  ['a space', 'h%20p'],
  ['an encoded slash', 'h%2Fp'],
  ['a dot', 'h.p'],
  ['a double-encoded ..', '%252e%252e'],
  ['Cyrillic lookalikes', enc('һр')],
];

function webhookCases(): Case[] {
  const url = `/webhooks/beeline/${P}/${SECRET}`;
  const post = (name: string, body: string | Buffer, status: number, headers: Record<string, string> = XML_TYPE): Case => ({
    route: 'webhook',
    name,
    method: 'POST',
    path: url,
    headers,
    body,
    status,
  });
  return [
    post('broken XML', '<xsi:Event><xsi:eventID>1</xsi:eventID>', 400),
    post('not XML at all', 'hello', 400),
    post('a JSON object', '{"eventID":"1"}', 400, JSON_TYPE),
    post('a JSON array', '[1,2]', 400, JSON_TYPE),
    post('an empty body', '', 400),
    post('whitespace only', ' \n\t ', 400),
    post('XML that is not an Xsi event', '<?xml version="1.0"?><order><id>1</id></order>', 400),
    post('an Event without eventID', '<Event><eventData type="CallReceivedEvent"/></Event>', 400),
    post('two root elements', withoutProlog + withoutProlog, 400),
    post(
      'entity expansion (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>' +
        withoutProlog.replace('9000000001', '&lol2;'),
      400,
    ),
    post('an external entity (file)', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>${withoutProlog.replace('9000000001', '&ext;')}`, 400),
    post('an external entity (http)', `<!DOCTYPE x [<!ENTITY ext SYSTEM "http://127.0.0.1:9/x">]>${withoutProlog.replace('9000000001', '&ext;')}`, 400),
    post('a parameter entity', '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><x/>', 400),
    post('a DOCTYPE alone', '<!DOCTYPE Event>', 400),
    post('10,000 nested elements', deepXml, 400),
    post('10,000 nested elements inside an Event', `<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi">${deepXml}</xsi:Event>`, 400),
    post('a 300 KiB event', validEvent.replace('</xsi:Event>', `<!--${'x'.repeat(300 * 1024)}--></xsi:Event>`), 413),
    post('256 KiB + 1 byte', Buffer.concat([Buffer.from(validEvent), Buffer.alloc(256 * 1024 + 1 - Buffer.byteLength(validEvent), ' ')]), 413),
    post('2 MB of XML', validEvent.replace('</xsi:Event>', `${'<x/>'.repeat(MB2 / 4)}</xsi:Event>`), 413),
    post('11 MB (over the gateway limit)', Buffer.alloc(11 * 1024 * 1024, 'a'), 413),
    post('UTF-16 bytes', Buffer.from(`\ufeff${validEvent.replace('UTF-8', 'UTF-16')}`, 'utf16le'), 400),
    post('a multipart form', '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n<Event/>\r\n--b--', 400, { 'content-type': 'multipart/form-data; boundary=b' }),
    post('a urlencoded form', `xml=${enc(validEvent)}`, 400, { 'content-type': 'application/x-www-form-urlencoded' }),
    post('a processing instruction and garbage', '<?php system("id"); ?>garbage', 400),
    post('an unclosed CDATA', '<Event><eventID><![CDATA[1</eventID></Event>', 400),
    // The URL: secret and project id.
    { route: 'webhook', name: 'a wrong secret', method: 'POST', path: `/webhooks/beeline/${P}/not-the-secret`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: "another project's secret", method: 'POST', path: `/webhooks/beeline/${P}/${webhookSecret(WEBHOOK_KEY, 'other')}`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: 'the secret with a zero-width space', method: 'POST', path: `${url}${enc('\u200b')}`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: 'the secret in upper case', method: 'POST', path: `/webhooks/beeline/${P}/${SECRET.toUpperCase()}`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: 'a secret with a bad %-escape', method: 'POST', path: `/webhooks/beeline/${P}/%E0%A4%A`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: 'the secret of HP for hp', method: 'POST', path: `/webhooks/beeline/HP/${SECRET}`, headers: XML_TYPE, body: validEvent, status: 403 },
    ...BAD_IDS.map(
      ([name, id]): Case => ({ route: 'webhook', name: `a project id with ${name}`, method: 'POST', path: `/webhooks/beeline/${id}/${SECRET}`, headers: XML_TYPE, body: validEvent, status: 403 }),
    ),
    { route: 'webhook', name: 'a project id ..', method: 'POST', path: `/webhooks/beeline/../${SECRET}`, headers: XML_TYPE, body: validEvent, status: 404 },
    { route: 'webhook', name: 'traversal to another project', method: 'POST', path: `${url}/../../other/${SECRET}`, headers: XML_TYPE, body: validEvent, status: 403 },
    { route: 'webhook', name: 'no secret', method: 'POST', path: `/webhooks/beeline/${P}`, headers: XML_TYPE, body: validEvent, status: 404 },
    { route: 'webhook', name: 'an empty secret', method: 'POST', path: `/webhooks/beeline/${P}//`, headers: XML_TYPE, body: validEvent, status: 404 },
    { route: 'webhook', name: 'an extra segment', method: 'POST', path: `${url}/x`, headers: XML_TYPE, body: validEvent, status: 404 },
    { route: 'webhook', name: 'GET', method: 'GET', path: url, status: 404 },
    { route: 'webhook', name: 'PUT', method: 'PUT', path: url, headers: XML_TYPE, body: validEvent, status: 404 },
    { route: 'webhook', name: 'DELETE', method: 'DELETE', path: url, status: 404 },
  ];
}

/** Every platform route, with a body that would be valid (so only the auth is wrong). */
const PROJECT_ROUTES: [string, string, unknown?][] = [
  ['PUT', `/projects/${P}`, { name: 'x' }],
  ['GET', `/projects/${P}`],
  ['PUT', `/projects/${P}/beeline`, { apiToken: 'sim-token' }],
  ['GET', `/projects/${P}/beeline`],
  ['DELETE', `/projects/${P}/beeline`],
  ['GET', `/projects/${P}/beeline/abonents`],
  ['PUT', `/projects/${P}/employees/e9`, { callMethod: 'none' }],
  ['GET', `/projects/${P}/employees`],
  ['GET', `/projects/${P}/employees/e1`],
  ['DELETE', `/projects/${P}/employees/e1`],
  ['PUT', `/projects/${P}/clients/c9`, { channel: 'whatsapp' }],
  ['GET', `/projects/${P}/clients/c1`],
  ['GET', `/projects/${P}/clients?phone=79161234567`],
  ['GET', `/projects/${P}/clients/c1/messages`],
  ['GET', `/projects/${P}/calls`],
  ['POST', `/projects/${P}/beeline/call`, { client_phone: '79161234567', user: '9000000001' }],
  ['PUT', `/projects/${P}/delivery`, { url: 'https://receiver.example/hooks' }],
  ['GET', `/projects/${P}/delivery`],
  ['DELETE', `/projects/${P}/delivery`],
  ['GET', `/projects/${P}/events`],
];

function authCases(): Case[] {
  const cases: Case[] = [];
  const wrong: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token' }],
    ['the token with a zero-width space', { authorization: `Bearer ${ADMIN_TOKEN}\u200b`.replace('\u200b', '%E2%80%8B') }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['the token without a scheme', { authorization: ADMIN_TOKEN }],
    ['a token prefix', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
  ];
  for (const [method, path, body] of PROJECT_ROUTES) {
    for (const [name, headers] of wrong) {
      cases.push({
        route: `${method} ${path.replace(/\?.*/, '')}`,
        name,
        method,
        path,
        headers: { ...headers, ...JSON_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        status: 401,
      });
    }
  }
  cases.push({ route: 'GET /projects/{p}', name: 'the token in the query string', method: 'GET', path: `/projects/${P}?token=${ADMIN_TOKEN}`, status: 401 });
  cases.push({ route: 'GET /projects/{p}', name: 'traversal into /projects without a token', method: 'GET', path: `/projects/%2e%2e/projects/${P}`, status: 401 });
  cases.push({ route: 'GET /projects/{p}', name: 'dot segments into /projects without a token', method: 'GET', path: `/health/../projects/${P}`, status: 401 });
  return cases;
}

function projectCases(): Case[] {
  const bodyCase = (route: string, method: string, path: string, name: string, body: string, status: number | number[] = 400, headers: Record<string, string> = JSON_TYPE): Case => ({
    route,
    name,
    method,
    path,
    headers: { ...AUTH, ...headers },
    body,
    status,
  });
  const typeTraps = (route: string, method: string, path: string): Case[] => [
    bodyCase(route, method, path, 'not JSON', '{"name": '),
    bodyCase(route, method, path, 'a JSON array', '[]'),
    bodyCase(route, method, path, 'a JSON string', '"x"'),
    bodyCase(route, method, path, 'a JSON number', '1'),
    bodyCase(route, method, path, 'JSON null', 'null'),
    bodyCase(route, method, path, 'an empty body', ''),
    bodyCase(route, method, path, 'a __proto__ key', '{"__proto__":{"admin":true}}'),
    bodyCase(route, method, path, 'a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}'),
    bodyCase(route, method, path, '10,000 nested arrays', deepJson),
    bodyCase(route, method, path, '2 MB of JSON', bigJsonName),
    bodyCase(route, method, path, 'XML with an XML content type', validEvent, 400, XML_TYPE),
    bodyCase(route, method, path, 'a urlencoded form', 'name=x', 400, { 'content-type': 'application/x-www-form-urlencoded' }),
    bodyCase(route, method, path, 'text/plain garbage', 'hello', 400, { 'content-type': 'text/plain' }),
  ];
  const get = (route: string, name: string, path: string, status: number | number[]): Case => ({ route, name, method: 'GET', path, headers: AUTH, status });

  const project = `/projects/${P}`;
  const cases: Case[] = [
    ...typeTraps('PUT /projects/{p}', 'PUT', project),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a number for name', '{"name":5}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a string for messengers', '{"messengers":"whatsapp"}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a channel in capitals', '{"messengers":["WhatsApp"]}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'an unknown time zone', '{"timezone":"Mars/Phobos"}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a path as time zone', '{"timezone":"../../etc/localtime"}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a 201-character name', JSON.stringify({ name: 'x'.repeat(201) })),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'an unknown field', '{"name":"x","admin":true}'),
    bodyCase('PUT /projects/{p}', 'PUT', project, 'a duplicate key with a wrong type', '{"name":"x","name":5}'),

    ...typeTraps('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'no apiToken', '{}'),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'a number as apiToken', '{"apiToken":12345678}'),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'a short apiToken', '{"apiToken":"short"}'),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'a 300-character apiToken', JSON.stringify({ apiToken: 'x'.repeat(300) })),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'an unknown field', '{"apiToken":"sim-token","url":"http://evil"}'),
    bodyCase('PUT /projects/{p}/beeline', 'PUT', `${project}/beeline`, 'a token the PBX refuses', '{"apiToken":"refused-token-123"}', 422),

    ...typeTraps('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'no callMethod', '{}'),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'an unknown callMethod', '{"callMethod":"sip"}'),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'beeline_api without a number', '{"callMethod":"beeline_api"}'),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'a number as beelineNumber', '{"callMethod":"beeline_api","beelineNumber":9000000002}'),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'letters as beelineNumber', '{"callMethod":"beeline_api","beelineNumber":"nine"}', 422),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'fullwidth digits', JSON.stringify({ callMethod: 'beeline_api', beelineNumber: '９０００００００２' }), 422),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'a number that is not an abonent', '{"callMethod":"beeline_api","beelineNumber":"9009999999"}', 422),
    bodyCase('PUT /projects/{p}/employees/{e}', 'PUT', `${project}/employees/e2`, 'a 65-character beelineNumber', JSON.stringify({ callMethod: 'none', beelineNumber: '9'.repeat(65) })),

    ...typeTraps('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'no channel', '{}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a channel in capitals', '{"channel":"Telephony","phone":"79161234567"}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a path as channel', '{"channel":"../x"}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a telephony client without phone', '{"channel":"telephony"}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'letters as phone', '{"channel":"whatsapp","phone":"call me"}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'fullwidth digits as phone', JSON.stringify({ channel: 'whatsapp', phone: '７９１６１２３４５６７' })),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a number as phone', '{"channel":"whatsapp","phone":79161234567}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a number as a variable', '{"channel":"whatsapp","variables":{"a":5}}'),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'variables as an array', '{"channel":"whatsapp","variables":["a"]}'),
    bodyCase(
      'PUT /projects/{p}/clients/{c}',
      'PUT',
      `${project}/clients/c2`,
      '201 variables',
      JSON.stringify({ channel: 'whatsapp', variables: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`v${i}`, 'x'])) }),
    ),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a 4097-character variable', JSON.stringify({ channel: 'whatsapp', variables: { a: 'x'.repeat(4097) } })),
    bodyCase(
      'PUT /projects/{p}/clients/{c}',
      'PUT',
      `${project}/clients/c2`,
      '200 variables of 4,000 characters (over 64 KB in total)',
      JSON.stringify({ channel: 'whatsapp', variables: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`v${i}`, 'x'.repeat(4000)])) }),
    ),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'a 129-character variable name', JSON.stringify({ channel: 'whatsapp', variables: { ['k'.repeat(129)]: 'x' } })),
    bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/c2`, 'an empty variable name', '{"channel":"whatsapp","variables":{"":"x"}}'),

    get('GET /projects/{p}/clients?phone', 'no phone', `${project}/clients`, 400),
    get('GET /projects/{p}/clients?phone', 'letters', `${project}/clients?phone=abc`, 400),
    get('GET /projects/{p}/clients?phone', 'fullwidth digits', `${project}/clients?phone=${enc('７９１６１２３４５６７')}`, 400),
    get('GET /projects/{p}/clients?phone', 'a short number', `${project}/clients?phone=7916`, 400),
    get('GET /projects/{p}/clients?phone', 'NUL', `${project}/clients?phone=%00`, 400),
    get('GET /projects/{p}/clients?phone', 'an RTL override', `${project}/clients?phone=${enc('\u202e79161234567')}`, 400),
    get('GET /projects/{p}/clients?phone', '8 KB', `${project}/clients?phone=${'7'.repeat(8000)}`, 400),
    get('GET /projects/{p}/clients?phone', 'phone[]', `${project}/clients?phone[]=79161234567`, 400),
    get('GET /projects/{p}/clients?phone', 'two phones', `${project}/clients?phone=79161234567&phone=79161234568`, 400),
    ...['0', '-1', '201', 'abc', '1.5', '1e3', ''].map((limit) => get('GET /projects/{p}/calls', `limit=${limit}`, `${project}/calls?limit=${limit}`, 400)),

    get('GET /projects/{p}', 'a project that does not exist', '/projects/nope', 404),
    get('GET /projects/{p}/employees/{e}', 'an employee that does not exist', `${project}/employees/nope`, 404),
    get('GET /projects/{p}/clients/{c}', 'a client that does not exist', `${project}/clients/nope`, 404),
    get('GET /projects/{p}/clients/{c}/messages', 'a client that does not exist', `${project}/clients/nope/messages`, 404),
    { route: 'DELETE /projects/{p}/employees/{e}', name: 'an employee that does not exist', method: 'DELETE', path: `${project}/employees/nope`, headers: AUTH, status: 404 },
    ...['PATCH', 'DELETE', 'POST'].map((method): Case => ({ route: `${method} /projects/{p}`, name: 'a method not in the contract', method, path: project, headers: AUTH, status: 404 })),
    { route: 'POST /projects/{p}/clients', name: 'a method not in the contract', method: 'POST', path: `${project}/clients`, headers: { ...AUTH, ...JSON_TYPE }, body: '{}', status: 404 },
    { route: 'PUT /projects/{p}/calls', name: 'a method not in the contract', method: 'PUT', path: `${project}/calls`, headers: { ...AUTH, ...JSON_TYPE }, body: '{}', status: 404 },
    { route: 'GET /projects/{p}/beeline/call', name: 'a method not in the contract', method: 'GET', path: `${project}/beeline/call`, headers: AUTH, status: 404 },
  ];
  // Bad ids in every position.
  for (const [name, id] of BAD_IDS) {
    cases.push(get('GET /projects/{p}', `a project id with ${name}`, `/projects/${id}`, 400));
    cases.push(get('GET /projects/{p}/employees/{e}', `an employee id with ${name}`, `${project}/employees/${id}`, 400));
    cases.push(get('GET /projects/{p}/clients/{c}', `a client id with ${name}`, `${project}/clients/${id}`, 400));
    cases.push(bodyCase('PUT /projects/{p}/clients/{c}', 'PUT', `${project}/clients/${id}`, `a client id with ${name}`, '{"channel":"whatsapp"}'));
  }
  cases.push(get('GET /projects/{p}/clients/{c}', 'a bad %-escape', `${project}/clients/%E0%A4%A`, 404));
  cases.push(get('GET /projects/{p}/clients/{c}', 'traversal to /etc/passwd', `${project}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`, 404));
  cases.push(get('GET /projects/{p}/clients/{c}', 'encoded traversal to /health', `${project}/clients/..%2f..%2f..%2fhealth`, 400));
  return cases;
}

function beelineCallCases(): Case[] {
  const path = `/projects/${P}/beeline/call`;
  const call = (name: string, body: string, at = path): Case => ({
    route: 'POST /projects/{p}/beeline/call',
    name,
    method: 'POST',
    path: at,
    headers: { ...AUTH, ...JSON_TYPE },
    body,
    status: 200,
    answer: 'call',
  });
  const user = '9000000001';
  return [
    call('not JSON', '{"client_phone":'),
    call('an empty body', ''),
    call('a JSON array', '[]'),
    call('a JSON string', '"79161234567"'),
    call('JSON null', 'null'),
    call('an empty object', '{}'),
    call('a number as client_phone', JSON.stringify({ client_phone: 79161234567, user })),
    call('letters as client_phone', JSON.stringify({ client_phone: 'call me', user })),
    call('fullwidth digits', JSON.stringify({ client_phone: '７９１６１２３４５６７', user })),
    call('an RTL override', JSON.stringify({ client_phone: '\u202e79161234567', user })),
    call('a zero-width space in user', JSON.stringify({ client_phone: '79161234567', user: `${user}\u200b` })),
    call('a short user', JSON.stringify({ client_phone: '79161234567', user: '900' })),
    call('a SIP URI as user', JSON.stringify({ client_phone: '79161234567', user: 'sip:9000000001@evil' })),
    call('an unknown field', JSON.stringify({ client_phone: '79161234567', user, callback: 'http://evil' })),
    call('a __proto__ key', `{"__proto__":{"status":"1"},"client_phone":"79161234567","user":"${user}"}`),
    call('10,000 nested arrays', deepJson),
    call('2 MB of JSON', JSON.stringify({ client_phone: 'x'.repeat(MB2), user })),
    call('a project id with fullwidth letters', JSON.stringify({ client_phone: '79161234567', user }), `/projects/${enc('ｈｐ')}/beeline/call`),
    call('a project id %2e%2e%2f', JSON.stringify({ client_phone: '79161234567', user }), '/projects/%2e%2e%2f/beeline/call'),
    call('a project id with NUL', JSON.stringify({ client_phone: '79161234567', user }), '/projects/hp%00/beeline/call'),
    call('a project without a PBX connection', JSON.stringify({ client_phone: '79161234567', user }), '/projects/nope/beeline/call'),
  ];
}

function otherCases(): Case[] {
  const sigPath = recordLink(WEBHOOK_KEY, P, 'some-call', 0, Date.now(), 30).path;
  const query = sigPath.split('?')[1]!;
  return [
    {
      route: 'GET /records/{p}/{ext}',
      name: 'a later expiry than signed',
      method: 'GET',
      path: `/records/${P}/some-call?${query.replace(/exp=(\d+)/, (_m, exp: string) => `exp=${Number(exp) + 86_400}`)}`,
      status: 403,
    },
    { route: 'GET /records/{p}/{ext}', name: 'an expiry that is not a number', method: 'GET', path: `/records/${P}/some-call?${query.replace(/exp=\d+/, 'exp=1e99')}`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: 'an 8 KB expiry', method: 'GET', path: `/records/${P}/some-call?${query.replace(/exp=\d+/, `exp=${'9'.repeat(8000)}`)}`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: 'no signature', method: 'GET', path: `/records/${P}/some-call`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: 'a wrong signature', method: 'GET', path: `/records/${P}/some-call?sig=AAAA`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: "another call's signature", method: 'GET', path: `/records/${P}/other-call?${sigPath.split('?')[1]}`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: "another project's signature", method: 'GET', path: `/records/other/some-call?${sigPath.split('?')[1]}`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: 'an 8 KB signature', method: 'GET', path: `/records/${P}/some-call?sig=${'A'.repeat(8000)}`, status: 403 },
    { route: 'GET /records/{p}/{ext}', name: 'a signed call without a recording', method: 'GET', path: sigPath, status: 404 },
    { route: 'GET /records/{p}/{ext}', name: 'encoded traversal', method: 'GET', path: `/records/${P}/..%2f..%2fprojects%2f${P}?sig=x`, status: 400 },
    { route: 'GET /records/{p}/{ext}', name: 'a 129-character tracking id', method: 'GET', path: `/records/${P}/${'a'.repeat(129)}?sig=x`, status: 400 },
    { route: 'GET /records/{p}/{ext}', name: 'a tracking id with #', method: 'GET', path: `/records/${P}/a%23b?sig=x`, status: 400 },
    { route: 'GET /records/{p}/{ext}', name: 'a project id with NUL', method: 'GET', path: '/records/hp%00/some-call?sig=x', status: 400 },
    { route: 'GET /records/{p}/{ext}', name: 'POST', method: 'POST', path: sigPath, status: 404 },
    { route: '/health', name: 'POST', method: 'POST', path: '/health', headers: JSON_TYPE, body: '{}', status: 404 },
    { route: '/health', name: 'PUT', method: 'PUT', path: '/health', headers: JSON_TYPE, body: '{"ok":false}', status: 404 },
    { route: '/health', name: 'DELETE', method: 'DELETE', path: '/health', status: 404 },
    { route: '/health', name: 'a sub-path', method: 'GET', path: '/health/x', status: 404 },
    { route: '/health', name: 'dot segments', method: 'GET', path: '/health/..', status: 404 },
    ...[
      '/',
      '/admin',
      '/.env',
      '/.git/config',
      '/webhooks',
      '/webhooks/beeline',
      '/PROJECTS/hp',
      '/projects%2Fhp',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      `/${enc('ｐｒｏｊｅｃｔｓ')}/hp`,
      '/projects/hp/clients/c1/messages/extra',
      '/records',
      '/healthz',
    ].map((path): Case => ({ route: 'unknown paths', name: path, method: 'GET', path, headers: AUTH, status: 404 })),
    { route: 'unknown paths', name: '/projects (no id)', method: 'GET', path: '/projects', headers: AUTH, status: 404 },
    { route: 'unknown paths', name: 'OPTIONS', method: 'OPTIONS', path: `/projects/${P}`, headers: AUTH, status: 404 },
    { route: 'unknown paths', name: 'TRACE', method: 'TRACE', path: '/', status: 404 },
  ];
}

// ---------------------------------------------------------------- the run

const LEAKS = [ADMIN_TOKEN, WEBHOOK_KEY, 'sim-token', '/work/', '.ts:', 'node_modules', '    at '];

function problemsOf(c: Case, answer: RawAnswer): string[] {
  const problems: string[] = [];
  const expected = Array.isArray(c.status) ? c.status : [c.status];
  if (!expected.includes(answer.status)) problems.push(`status ${answer.status}, expected ${expected.join('|')}`);
  if (!/^application\/json/.test(answer.contentType)) problems.push(`content-type ${answer.contentType}`);
  const body = answer.json as Record<string, unknown> | undefined;
  // beeline/call answers every refusal in its own contract, bad auth (401/403) included.
  if (c.answer === 'call' || (c.method === 'POST' && c.path.endsWith('/beeline/call'))) {
    // A failure may add a stable `code`, nothing else.
    const extra = body ? Object.keys(body).filter((key) => key !== 'status' && key !== 'error' && !(key === 'code' && typeof body.code === 'string')) : [];
    if (body?.status !== '0' || typeof body.error !== 'string' || extra.length > 0) problems.push(`not a status-0 answer: ${answer.text.slice(0, 200)}`);
  } else if (!body || typeof body.error !== 'string' || body.error === '' || Object.keys(body).length !== 1) {
    problems.push(`not a JSON error body: ${answer.text.slice(0, 200)}`);
  }
  for (const leak of LEAKS) if (answer.text.includes(leak)) problems.push(`the answer contains ${JSON.stringify(leak)}`);
  return problems;
}

async function queued() {
  const depth = await stack.queueDepth();
  return depth.visible + depth.inFlight + depth.delayed + depth.dead;
}

const callStarts = () => stack.simulator!.requests().filter((r) => r.method === 'POST' && /\/call$/.test(r.path)).length;

beforeAll(async () => {
  // No queue consumer: whatever gets queued stays there to be counted; no renewal sweep either.
  stack = await startTestStack({ pollerConcurrency: 0, renewSweepSeconds: 3600 });
  const ok = async (method: string, path: string, body: unknown) => expect((await stack.api(method, path, body)).status).toBe(200);
  await ok('PUT', `/projects/${P}`, { name: 'Hostile', messengers: ['whatsapp'] });
  await ok('PUT', `/projects/${P}/beeline`, { apiToken: 'sim-token' });
  await ok('PUT', `/projects/${P}/employees/e1`, { callMethod: 'beeline_api', beelineNumber: '9000000001' });
  await ok('PUT', `/projects/${P}/clients/c1`, { channel: 'whatsapp', phone: '+79161234567', variables: { name: 'Anna' } });
  await eventually(async () => ((await stack.api('GET', `/projects/${P}/employees/e1`)).body.subscription.status === 'active' ? true : undefined));
}, 60_000);
afterAll(() => stack?.stop());

describe('hostile input on every public route', () => {
  it('gets the documented 4xx with a JSON error, writes nothing, queues nothing, starts no call; the process stays healthy', async () => {
    const corpus = [...webhookCases(), ...authCases(), ...projectCases(), ...beelineCallCases(), ...otherCases()];
    const itemsBefore = await countItems(stack.env);
    const queuedBefore = await queued();
    const startsBefore = callStarts();
    const failures: string[] = [];
    const routes = new Set<string>();
    for (const c of corpus) {
      routes.add(c.route);
      let answer: RawAnswer;
      try {
        answer = await rawRequest(stack.port, c.method, c.path, { headers: c.headers, body: c.body });
      } catch (error) {
        failures.push(`${c.route} — ${c.name}: request failed: ${(error as Error).message}`);
        continue;
      }
      for (const problem of problemsOf(c, answer)) failures.push(`${c.route} — ${c.name}: ${problem}`);
    }
    const itemsAfter = await countItems(stack.env);
    const queuedAfter = await queued();
    const health = await rawRequest(stack.port, 'GET', '/health');

    console.log(
      `hostile input: ${corpus.length} bad inputs tried on ${routes.size} routes ` +
        `(webhook ${webhookCases().length}, auth ${authCases().length}, platform bodies/ids ${projectCases().length}, beeline/call ${beelineCallCases().length}, records/health/unknown ${otherCases().length}); ` +
        `${corpus.length - failures.length} answered as documented; table items ${itemsBefore} → ${itemsAfter}; queued ${queuedBefore} → ${queuedAfter}; PBX call starts +${callStarts() - startsBefore}`,
    );
    for (const failure of failures) console.log(`  ${failure}`);

    expect(failures).toEqual([]);
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(itemsAfter).toBe(itemsBefore);
    expect(queuedAfter).toBe(queuedBefore);
    expect(callStarts()).toBe(startsBefore);
    expect(health).toMatchObject({ status: 200, json: { ok: true } });
    // …and it still does its job.
    expect((await stack.api('GET', `/projects/${P}/clients/c1`)).body).toMatchObject({ clientId: 'c1', variables: { name: 'Anna' } });
    expect((await stack.postWebhook(P, validEvent)).status).toBe(200);
    expect(await queued()).toBe(queuedBefore + 1);
  }, 120_000);
});

/**
 * Bugs this corpus found (fixed); kept as regression tests.
 */
describe('regressions found by the corpus', () => {
  const victim = 'victim';
  beforeAll(async () => {
    expect((await stack.api('PUT', `/projects/${victim}`, { name: 'Victim' })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${victim}/clients/c1`, { channel: 'whatsapp', phone: '+79160000001', variables: { email: 'ceo@victim.example' } })).status).toBe(200);
  });

  // Was CRITICAL: the platform API authenticated only when rawPath started with
  // `/projects/`, but the Router drops empty path segments. `/x/..//projects/…` (normalised by
  // the URL parser to `//projects/…`; on API Gateway a literal `//projects/…` likely gets there
  // too) reaches every platform route without a token: read clients, rewrite projects, connect
  // or disconnect the PBX.
  it('a path normalised to //projects/… is authenticated like /projects/…', async () => {
    const before = await countItems(stack.env);
    for (const path of [`/x/..//projects/${victim}`, `/x/..//projects/${victim}/clients/c1`, `/%2e%2e//projects/${victim}/clients?phone=79160000001`, `/x/..//projects/${victim}/calls`]) {
      const answer = await rawRequest(stack.port, 'GET', path);
      expect(answer.status, path).toBe(401);
      expect(answer.text).not.toContain('ceo@victim.example');
    }
    const put = await rawRequest(stack.port, 'PUT', `/x/..//projects/${victim}`, { headers: JSON_TYPE, body: '{"name":"pwned"}' });
    expect(put.status).toBe(401);
    expect((await stack.api('GET', `/projects/${victim}`)).body.name).toBe('Victim');
    expect(await countItems(stack.env)).toBe(before);
  });

  // A client variable named "constructor" makes the DynamoDB marshaller treat the variables map
  // as a class instance ("Unsupported type passed: [object Object]"): the client cannot be saved.
  it('a client variable named "constructor" is saved', async () => {
    const answer = await stack.api('PUT', `/projects/${victim}/clients/c2`, { channel: 'whatsapp', variables: { constructor: 'x' } });
    expect(answer.status).toBe(200);
    expect(answer.body.variables).toEqual({ constructor: 'x' });
  });

  // Variables are `string → string`; `__proto__` is silently dropped, even with a non-string
  // value that should be refused. (No global prototype pollution happens.)
  it('a client variable named "__proto__" is refused, never silently dropped', async () => {
    const answer = await rawRequest(stack.port, 'PUT', `/projects/${victim}/clients/c3`, {
      headers: { ...AUTH, ...JSON_TYPE },
      body: '{"channel":"whatsapp","variables":{"__proto__":{"not":"a string"},"a":"b"}}',
    });
    expect(({} as Record<string, unknown>).not).toBeUndefined();
    expect(answer.status).toBe(400);
  });

  // XML 1.0 forbids NUL and most C0 control characters anywhere in a document, so such a body
  // is not well-formed XML (http-api.md: 400, nothing queued). fast-xml-parser's validator lets
  // them through, and the event is queued with them in its eventID.
  it('a webhook body with characters XML forbids (NUL, C0 controls) is refused with 400', async () => {
    const before = await queued();
    for (const control of ['\u0000', '\u0001', '\u001b']) {
      const answer = await stack.postWebhook(P, validEvent.replace('<xsi:eventID>', `<xsi:eventID>${control}`));
      expect(answer.status, JSON.stringify(control)).toBe(400);
    }
    expect(await queued()).toBe(before);
  });

  // An apiToken that cannot go into an HTTP header (newline, NUL, non-Latin-1) never reaches the
  // PBX, yet the answer is 502 "the PBX could not be reached".
  it('an apiToken with characters not allowed in a header is a 4xx', async () => {
    for (const apiToken of ['sim-token\r\nX-Injected: 1', 'sim-token\u0000', 'токен-1234567']) {
      const answer = await stack.api('PUT', `/projects/${victim}/beeline`, { apiToken });
      expect([400, 422], JSON.stringify(apiToken)).toContain(answer.status);
    }
  });
});

// A receiver of the product's outbound events, as a bot engine would run one: it checks the
// Standard Webhooks signature (HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" under the
// secret), refuses old timestamps, answers 204 and prints the event. No dependencies.
//
//   WEBHOOK_SECRET=whsec_… PORT=4000 node examples/receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const key = Buffer.from(String(process.env.WEBHOOK_SECRET).replace(/^whsec_/, ''), 'base64');
const TOLERANCE_SECONDS = 300;

function verified(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  if (!id || !Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // One `v1,<base64>` per secret the sender signs with (two during a rotation).
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .map((signature) => Buffer.from(signature.replace(/^v1,/, ''), 'base64'))
    .some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
}

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verified(request.headers, body)) return response.writeHead(401).end();
    const event = JSON.parse(body);
    console.log(`verified ${event.type} ${event.eventId} ${JSON.stringify(event.data)}`);
    response.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 4000), '127.0.0.1', () => console.log(`receiver listening on http://127.0.0.1:${process.env.PORT ?? 4000}/`));

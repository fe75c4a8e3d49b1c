/**
 * POSTs a delivery to a receiver with node's http/https: the host is resolved once, every address
 * it resolves to is checked against the target policy, and the connection goes to the checked
 * address (a DNS answer that changes between the check and the connection cannot redirect it).
 * Redirects are answers, never followed; at most a few KiB of the answer are read.
 */
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, MAX_RECEIVER_ANSWER_BYTES, type TargetPolicy } from '../domain/delivery';
import type { ReceiverAnswer, WebhookSender } from '../ports';

const USER_AGENT = 'beeline-telephony-webhooks/1';

export class HttpWebhookSender implements WebhookSender {
  constructor(
    private readonly policy: TargetPolicy,
    private readonly resolve: (host: string) => Promise<{ address: string; family: number }[]> = (host) => lookup(host, { all: true, verbatim: true }),
  ) {}

  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<ReceiverAnswer> {
    const target = new URL(url);
    // Settings are checked when saved; this holds even for one that was not.
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && this.policy.allowLoopback)) return { ok: false, error: 'only https receivers are allowed' };
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const signal = AbortSignal.timeout(timeoutMs);
    let addresses: { address: string; family: number }[];
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await Promise.race([this.resolve(host), aborted(signal)]);
    } catch (error) {
      return { ok: false, error: signal.aborted ? `no answer within ${timeoutMs / 1000} s` : `the receiver's host name did not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    const refusal = addresses.map(({ address }) => addressRefusal(address, this.policy)).find(Boolean) ?? (addresses.length === 0 ? 'the receiver has no address' : undefined);
    if (refusal) return { ok: false, error: refusal };
    const pinned = addresses[0]!;
    const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const payload = Buffer.from(body, 'utf8');
    return new Promise<ReceiverAnswer>((settle) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(target, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': USER_AGENT },
        lookup: pinnedLookup,
        signal,
      });
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RECEIVER_ANSWER_BYTES) response.destroy();
        });
        const done = () =>
          settle(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: status >= 300 && status < 400 ? `redirect (HTTP ${status}) not followed` : `HTTP ${status}` });
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        settle({ ok: false, error: signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describeFailure(error) });
      });
      request.end(payload);
    });
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

function describeFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      // A TLS or socket failure: its code says enough, and no part of the request is in it.
      return error.code ? `connection failed (${error.code})` : 'connection failed';
  }
}

/**
 * The delivery rules: which receivers are allowed (SSRF), the Standard Webhooks signature as the
 * `standardwebhooks` package verifies it (also during a rotation), and the retry schedule.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  addressRefusal,
  checkDeliveryUrl,
  MAX_DELIVERY_URL_CHARS,
  MAX_RETRY_DELAY_SECONDS,
  newDeliverySecret,
  retryDelaySeconds,
  secretHint,
  webhookSignature,
} from '../../functions/commons/domain/delivery';

const AWS = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

describe('delivery URLs', () => {
  it('accept a public https URL (the fragment dropped, the query kept)', () => {
    expect(checkDeliveryUrl('https://bots.example.com/hooks/beeline?tenant=7#x', AWS)).toEqual({ ok: true, url: 'https://bots.example.com/hooks/beeline?tenant=7' });
    expect(checkDeliveryUrl('https://203.0.114.9:8443/in', AWS)).toEqual({ ok: true, url: 'https://203.0.114.9:8443/in' });
  });

  it.each([
    ['http://bots.example.com/hook', 'url: must be https'],
    ['ftp://bots.example.com/hook', 'url: must be https'],
    ['not a url', 'url: not a valid absolute URL'],
    ['https://user:pass@bots.example.com/hook', 'url: must not carry a user name or password'],
    ['https://localhost/hook', 'url: must not point at this machine'],
    ['https://api.localhost/hook', 'url: must not point at this machine'],
    ['https://127.0.0.1/hook', 'url: must not point at this machine'],
    ['https://[::1]/hook', 'url: must not point at this machine'],
  ])('on AWS refuse %s', (url, reason) => {
    expect(checkDeliveryUrl(url, AWS)).toEqual({ ok: false, reason });
  });

  it.each([
    'https://10.0.0.5/hook',
    'https://172.16.3.4/hook',
    'https://192.168.1.1/hook',
    'https://169.254.169.254/latest/meta-data/', // the instance metadata service
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[fd00::1]/hook',
    'https://[fe80::1]/hook',
    'https://[::ffff:10.0.0.1]/hook', // IPv4-mapped IPv6
    'https://[::ffff:169.254.169.254]/hook',
    'https://0xa9fea9fe/hook', // 169.254.169.254 in hex: the URL parser normalises it
    'https://2852039166/hook', // the same as one number
  ])('refuse a private, link-local or reserved address literal: %s', (url) => {
    const checked = checkDeliveryUrl(url, AWS);
    expect(checked.ok).toBe(false);
    expect(checked.ok === false && checked.reason).toMatch(/^url: address .* is private, loopback, link-local or reserved$/);
  });

  it('refuse a URL longer than the limit', () => {
    expect(checkDeliveryUrl(`https://bots.example.com/${'a'.repeat(MAX_DELIVERY_URL_CHARS)}`, AWS)).toEqual({ ok: false, reason: `url: at most ${MAX_DELIVERY_URL_CHARS} characters` });
  });

  it('in the local stack also accept http to this machine, and nothing else over http', () => {
    expect(checkDeliveryUrl('http://127.0.0.1:4000/hook', LOCAL)).toEqual({ ok: true, url: 'http://127.0.0.1:4000/hook' });
    expect(checkDeliveryUrl('http://localhost:4000/hook', LOCAL)).toEqual({ ok: true, url: 'http://localhost:4000/hook' });
    expect(checkDeliveryUrl('http://[::1]:4000/hook', LOCAL).ok).toBe(true);
    expect(checkDeliveryUrl('http://bots.example.com/hook', LOCAL)).toEqual({ ok: false, reason: 'url: must be https (http only to this machine)' });
    expect(checkDeliveryUrl('https://10.0.0.5/hook', LOCAL).ok).toBe(false);
  });
});

describe('resolved addresses', () => {
  it('are refused when private, loopback, link-local or reserved (v4, v6 and v4-mapped v6), allowed when public', () => {
    for (const address of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '192.168.0.10', '::1', 'fd12::3', 'fe80::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe']) {
      expect(addressRefusal(address, AWS), address).toMatch(/is private, loopback, link-local or reserved$/);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) expect(addressRefusal(address, AWS), address).toBeUndefined();
    expect(addressRefusal('not-an-ip', AWS)).toBe('"not-an-ip" is not an IP address');
  });

  it('loopback only in the local stack; private networks never', () => {
    expect(addressRefusal('127.0.0.1', LOCAL)).toBeUndefined();
    expect(addressRefusal('::1', LOCAL)).toBeUndefined();
    expect(addressRefusal('10.1.2.3', LOCAL)).toMatch(/private/);
  });
});

describe('the signature', () => {
  const body = JSON.stringify({ eventId: 'evt_1', type: 'beeline_call_event', data: { text: 'beeline_call_event Incoming' } });
  const id = 'evt_01JDELIVERYTEST0000000000';
  const now = Math.floor(Date.now() / 1000);
  const headers = (signature: string, timestamp = now) => ({ 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });

  it('is what the standardwebhooks verifier accepts, and it refuses another secret, body, id or an old timestamp', () => {
    const secret = newDeliverySecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const signature = webhookSignature([secret], id, now, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers(signature))).toEqual(JSON.parse(body));
    expect(() => new Webhook(newDeliverySecret()).verify(body, headers(signature))).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(`${body} `, headers(signature))).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(body, { ...headers(signature), 'webhook-id': 'evt_other' })).toThrow(WebhookVerificationError);
    const old = now - 3600;
    expect(() => new Webhook(secret).verify(body, headers(webhookSignature([secret], id, old, body), old))).toThrow(/timestamp/i);
  });

  it('during a rotation carries one signature per secret: a receiver holding either verifies', () => {
    const [current, previous] = [newDeliverySecret(), newDeliverySecret()];
    const signature = webhookSignature([current, previous], id, now, body);
    expect(signature.split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers(signature))).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers(signature))).toBeTruthy();
    expect(() => new Webhook(newDeliverySecret()).verify(body, headers(signature))).toThrow(WebhookVerificationError);
  });

  it('has a hint that shows the last four characters and never the secret', () => {
    const secret = newDeliverySecret();
    expect(secretHint(secret)).toBe(`whsec_…${secret.slice(-4)}`);
    expect(secretHint(secret)).toHaveLength('whsec_…'.length + 4);
  });
});

describe('the retry schedule', () => {
  it('waits base × 4^(n-1) after n failures, at most 2 h: about 16 attempts in 24 h with the default 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelaySeconds(n, 5))).toEqual([5, 20, 80, 320, 1280, 5120, 7200, 7200]);
    expect(MAX_RETRY_DELAY_SECONDS).toBe(7200);
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelaySeconds(attempts, 5) <= 86_400) elapsed += retryDelaySeconds(attempts++, 5);
    expect(attempts).toBeGreaterThanOrEqual(14);
    expect(attempts).toBeLessThanOrEqual(18);
    expect(retryDelaySeconds(3, 0.3)).toBeCloseTo(4.8);
  });
});

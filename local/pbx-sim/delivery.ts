/**
 * Webhook delivery: one HTTP POST of one XML document, the way the PBX does it.
 * No keep-alive (a fresh connection per event), bounded by a timeout, abortable.
 */
import http from 'node:http';
import https from 'node:https';

export interface DeliveryResult {
  status?: number;
  error?: string;
  durationMs: number;
}

export function postXml(target: string, xml: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DeliveryResult> {
  const started = Date.now();
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<DeliveryResult, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...r, durationMs: Date.now() - started });
    };
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      finish({ error: `invalid URL: ${target}` });
      return;
    }
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!lib) {
      finish({ error: `unsupported protocol: ${url.protocol}` });
      return;
    }
    const body = Buffer.from(xml, 'utf8');
    let req: http.ClientRequest;
    try {
      req = lib.request(url, {
        method: 'POST',
        agent: false,
        signal: opts.signal,
        headers: {
          'Content-Type': 'application/xml; charset=UTF-8',
          'Content-Length': String(body.length),
          Connection: 'close',
          'User-Agent': 'Beeline-MPBX-Simulator/1.0',
        },
      });
    } catch (err) {
      finish({ error: err instanceof Error ? err.message : String(err) });
      return;
    }
    req.setTimeout(opts.timeoutMs, () => {
      req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`));
    });
    req.on('error', (err) => finish({ error: err.message || String(err) }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.on('error', () => finish({ status }));
      res.on('end', () => finish({ status }));
      res.on('close', () => finish({ status }));
      res.resume();
    });
    req.end(body);
  });
}

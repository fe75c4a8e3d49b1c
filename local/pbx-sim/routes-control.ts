/** The control routes of the simulator, under `/_sim/` (no auth), for tests and the local stack. */
import type http from 'node:http';
import { abonentJson } from './abonents.js';
import { BodyTooLarge, readBody, sendBytes, sendJson } from './http-io.js';
import { parseFaults } from './input.js';
import { SimInputError, type CallView } from './model.js';
import type { PbxSimState } from './state.js';

export interface ControlContext {
  state: PbxSimState;
  /** Resolves with the call's view once it has settled; SimInputError 404/408 otherwise. */
  waitCall: (id: string, timeoutMs: number) => Promise<CallView>;
}

/** The handler of every request under `/_sim/`. */
export function createControlHandler(ctx: ControlContext): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> {
  const { state, waitCall } = ctx;

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) sendJson(res, 413, { error: 'body too large' });
      else res.destroy();
      return;
    }
    const jsonBody = (emptyAs: unknown): unknown => {
      if (raw.length === 0) return emptyAs;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        throw new SimInputError('body is not valid JSON');
      }
    };
    let segs: string[];
    try {
      segs = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s))
        .slice(1);
    } catch {
      sendJson(res, 400, { error: 'bad path' });
      return;
    }
    const [c0, c1, c2] = segs;
    const route = `${method} ${c0 ?? ''}`;

    switch (true) {
      case route === 'POST pbx' && segs.length === 1: {
        const pbx = state.addPbx(jsonBody(undefined));
        sendJson(res, 200, {
          token: pbx.token,
          abonents: pbx.abonents.map((a) => ({ ...abonentJson(a), recording: a.recording })),
        });
        return;
      }
      case route === 'GET pbx' && segs.length === 1: {
        sendJson(
          res,
          200,
          [...state.pbxs.values()].map((pbx) => ({
            token: pbx.token,
            abonents: pbx.abonents.map((a) => ({ ...abonentJson(a), recording: a.recording })),
          })),
        );
        return;
      }
      case route === 'GET subscriptions' && segs.length === 1:
        sendJson(res, 200, state.listLiveSubscriptions());
        return;
      case route === 'POST subscriptions' && segs.length === 3 && c2 === 'terminate' && c1 !== undefined: {
        const event = await state.terminateSubscription(c1);
        sendJson(res, 200, { subscriptionId: c1, terminated: true, event });
        return;
      }
      case route === 'POST calls' && segs.length === 1: {
        const call = state.playCall(jsonBody(undefined));
        sendJson(res, 200, { extTrackingId: call.extTrackingId });
        return;
      }
      case route === 'GET calls' && segs.length === 1:
        sendJson(
          res,
          200,
          [...state.calls.values()].map((c) => state.callView(c)),
        );
        return;
      case route === 'GET calls' && segs.length === 2 && c1 !== undefined: {
        const waitRaw = url.searchParams.get('wait');
        if (waitRaw !== null) {
          const ms = /^\d+$/.test(waitRaw) ? Math.min(Number(waitRaw), 120_000) : 30_000;
          sendJson(res, 200, await waitCall(c1, ms));
          return;
        }
        const call = state.calls.get(c1);
        if (!call) throw new SimInputError(`unknown call ${c1}`, 404);
        sendJson(res, 200, state.callView(call));
        return;
      }
      case route === 'POST faults' && segs.length === 1:
        state.faults = parseFaults(jsonBody({}));
        sendJson(res, 200, state.faults);
        return;
      case route === 'GET faults' && segs.length === 1:
        sendJson(res, 200, state.faults);
        return;
      case route === 'GET requests' && segs.length === 1:
        sendJson(res, 200, state.requestLog);
        return;
      case route === 'GET events' && segs.length === 1: {
        const sid = url.searchParams.get('subscriptionId');
        sendJson(res, 200, sid ? state.eventLog.filter((e) => e.subscriptionId === sid) : state.eventLog);
        return;
      }
      case route === 'POST reset' && segs.length === 1:
        state.reset();
        sendJson(res, 200, { reset: true });
        return;
      case (route === 'GET recordings' || route === 'HEAD recordings') && segs.length === 2 && c1 !== undefined: {
        const id = c1.replace(/\.mp3$/, '');
        const rec = state.signedRecording(id, url.searchParams.get('sig'));
        if (!rec) {
          sendJson(res, 403, { error: 'link expired or invalid' });
          return;
        }
        sendBytes(res, rec.bytes, `${rec.id}.mp3`);
        return;
      }
      default:
        sendJson(res, 404, { error: `no such simulator route: ${method} ${url.pathname}` });
    }
  }

  return handleControl;
}

/** Routes of capture mode: start, look, stop, and read what was kept (to export as fixtures). */
import { auditEntry } from '../domain/access';
import { CAPTURE_MAX_ITEMS, CAPTURE_RETENTION_SECONDS, captureUntil, isCapturing, type CaptureSetting } from '../domain/capture';
import { callerOf, HttpError, parseBody, type Router } from './router';
import { bodyText, json } from './responses';
import { captureBody } from './bodies';
import { ROUTES } from './routes';
import type { CaptureStore } from '../ports';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 200;
/** A cursor is an item's sort key: an ISO time and a random suffix. */
const CURSOR = /^[0-9T:.Z-]{20,30}#[0-9a-f]{12}$/;

export function addCaptureRoutes(router: Router, store: CaptureStore, now: () => Date): void {
  router
    .on(ROUTES.startCapture, async (request) => {
      const projectId = request.params.projectId!;
      const { minutes } = parseBody(bodyText(request.event), captureBody);
      const at = now();
      const setting = { until: captureUntil(at.getTime(), minutes), startedAt: at.toISOString() };
      await store.start(projectId, setting, auditEntry(callerOf(request), 'capture.started', at, { until: setting.until }));
      return json(200, captureView({ ...setting, captured: 0 }, at.getTime()));
    })
    .on(ROUTES.getCapture, async ({ params }) => json(200, captureView(await store.setting(params.projectId!), now().getTime())))
    .on(ROUTES.stopCapture, async (request) => {
      const projectId = request.params.projectId!;
      const at = now();
      const setting = await store.setting(projectId);
      if (isCapturing(setting, at.getTime())) await store.stop(projectId, at.toISOString(), auditEntry(callerOf(request), 'capture.stopped', at));
      return json(200, captureView(await store.setting(projectId), at.getTime()));
    })
    .on(ROUTES.capturedItems, async ({ params, query }) => {
      const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new HttpError(400, `limit: a whole number from 1 to ${MAX_PAGE}`);
      if (query.after !== undefined && !CURSOR.test(query.after)) throw new HttpError(400, 'after: the next cursor of a previous page');
      return json(200, await store.list(params.projectId!, query.after, limit));
    });
}

function captureView(setting: CaptureSetting, now: number) {
  return {
    capturing: isCapturing(setting, now),
    startedAt: setting.startedAt,
    until: setting.until,
    captured: setting.captured,
    limit: CAPTURE_MAX_ITEMS,
    retentionDays: CAPTURE_RETENTION_SECONDS / 86_400,
  };
}

/**
 * What the functions keep while a project's capture mode is on: webhook bodies (ingest) and the
 * PBX's answers (every PBX client of the project), redacted before they are stored. The setting
 * is read at most every `checkMs` per project and process (the write checks it again), so a
 * capture starts and ends within that time everywhere. Never fails or slows its caller beyond
 * the write itself: a failed capture is only logged.
 */
import { isCapturing, redacted, type CaptureSetting, type PbxExchange } from '../domain/capture';
import { SETTINGS } from '../contracts/settings';
import { settingFrom, type Environment } from '../environment';
import type { CaptureSink } from '../ports';

export interface CaptureRecorder {
  webhook(projectId: string, body: string, contentType: string | undefined, secrets: readonly string[]): Promise<void>;
  pbx(projectId: string, exchange: PbxExchange, secrets: readonly string[]): Promise<void>;
}

/** How often a process reads a project's capture setting, by default and at most. */
export const CAPTURE_CHECK_MS = SETTINGS.captureCheckSeconds.default * 1000;
export const MAX_CAPTURE_CHECK_MS = SETTINGS.captureCheckSeconds.max * 1000;
const MAX_CACHED_PROJECTS = 10_000;

/** `CAPTURE_CHECK_SECONDS` (default 30, at most 60) in ms. */
export function captureCheckMsFrom(env: Environment): number {
  return settingFrom(env, SETTINGS.captureCheckSeconds) * 1000;
}

export function captureRecorder(
  store: CaptureSink,
  { checkMs = CAPTURE_CHECK_MS, now = Date.now, onError = () => {} }: { checkMs?: number; now?: () => number; onError?: (error: unknown) => void } = {},
): CaptureRecorder {
  const settings = new Map<string, { setting: CaptureSetting; at: number }>();
  const capturing = async (projectId: string) => {
    const hit = settings.get(projectId);
    if (hit && now() - hit.at < checkMs) return isCapturing(hit.setting, now());
    const setting = await store.setting(projectId);
    if (settings.size >= MAX_CACHED_PROJECTS) settings.clear();
    settings.set(projectId, { setting, at: now() });
    return isCapturing(setting, now());
  };
  const keep = async (projectId: string, exchange: () => Parameters<CaptureSink['keep']>[1]) => {
    try {
      if (await capturing(projectId)) await store.keep(projectId, exchange(), now());
    } catch (error) {
      onError(error);
    }
  };
  return {
    webhook: (projectId, body, contentType, secrets) =>
      keep(projectId, () => ({ kind: 'webhook', at: new Date(now()).toISOString(), ...(contentType && { contentType: contentType.slice(0, 200) }), ...redacted(body, secrets) })),
    pbx: (projectId, { method, path, status, requestBody, body, durationMs }, secrets) =>
      keep(projectId, () => {
        const answer = redacted(body, secrets);
        return {
          kind: 'pbx',
          at: new Date(now()).toISOString(),
          method,
          path: redacted(path, secrets).body,
          status,
          ...(requestBody !== undefined && { requestBody: redacted(requestBody, secrets).body }),
          body: answer.body,
          truncated: answer.truncated,
          durationMs,
        };
      }),
  };
}

/**
 * `Idempotency-Key` for `beeline_call`: a bot that retries after a timeout or a crash must not
 * ring the employee twice. The same key with the same body within 24 h answers the first
 * answer again without asking the PBX; a duplicate arriving while the first is still being
 * started waits for its answer. Only answers of a call that started (or may have) are kept: a
 * failure that started nothing gives the key back, so a retry under it tries again.
 */
import { createHash } from 'node:crypto';
import type { IdempotencyStore } from '../../ports';
import { callMayHaveStarted, failed, type CallAnswer } from './answer';

export const IDEMPOTENCY_TTL_SECONDS = 86_400;
/** 1–128 printable ASCII characters. */
const KEY_PATTERN = /^[\x20-\x7E]{1,128}$/;
/** A duplicate waits this long for the first request's answer (within the 5 s the answer must come in). */
const WAIT_FOR_FIRST_MS = 4000;
const POLL_MS = 200;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

export type StartCall = (projectId: string, body: string) => Promise<CallAnswer>;

export interface IdempotencyOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when the store fails after the call started (the answer still goes out). */
  onError?: (error: unknown) => void;
}

export function idempotentCalls(startCall: StartCall, store: IdempotencyStore<CallAnswer>, options: IdempotencyOptions = {}) {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return async (projectId: string, body: string, key?: string): Promise<CallAnswer> => {
    if (key === undefined) return startCall(projectId, body);
    if (!KEY_PATTERN.test(key)) return failed('Idempotency-Key: 1 to 128 printable characters', 'invalid_request');
    const keyHash = sha256(key);
    const requestHash = sha256(body);
    const waitUntil = now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      let claim: Awaited<ReturnType<typeof store.claim>>;
      try {
        claim = await store.claim(projectId, keyHash, requestHash, now(), IDEMPOTENCY_TTL_SECONDS);
      } catch (error) {
        options.onError?.(error);
        return failed('the Idempotency-Key could not be checked; the call was not started, try again', 'temporarily_unavailable');
      }
      switch (claim.kind) {
        case 'claimed': {
          const answer = await startCall(projectId, body);
          const keep = callMayHaveStarted(answer) ? store.complete(projectId, keyHash, requestHash, answer) : store.release(projectId, keyHash, requestHash, now());
          await keep.catch((error: unknown) => options.onError?.(error));
          return answer;
        }
        case 'answered':
          return claim.answer;
        case 'other-request':
          return failed('this Idempotency-Key was used for another request within 24 h: use a new key for a new call', 'idempotency_key_reused');
        case 'in-progress':
          if (now() >= waitUntil) {
            return failed('a call with this Idempotency-Key is still being started and may ring: ask again with the same key in a few seconds', 'idempotency_key_in_progress');
          }
          await sleep(POLL_MS);
      }
    }
  };
}

/**
 * The calls this process saved last, as it saved them: the next event of a call merges into
 * its state without reading it first, and a settled call is committed without reading it again.
 * Never trusted for a decision that writes nothing: a state here may be behind the stored one
 * (another process wrote since), which only the version condition of a write can tell, and then
 * the refusal carries the stored call. Plain TypeScript, one per process, bounded.
 */
import type { StoredCall } from '../../ports';

/** Enough for every call a busy instance has in flight; each holds one call's state. */
export const RECENT_CALLS_MAX = 500;

export class RecentCalls {
  private readonly calls = new Map<string, StoredCall>();

  constructor(private readonly max = RECENT_CALLS_MAX) {}

  get(projectId: string, extTrackingId: string): StoredCall | undefined {
    const stored = this.calls.get(keyOf(projectId, extTrackingId));
    // Copies in and out: no caller's later change reaches another's.
    return stored && structuredClone(stored);
  }

  remember(stored: StoredCall): void {
    const key = keyOf(stored.state.projectId, stored.state.extTrackingId);
    // Re-inserted at the end: the oldest entry is the one least recently saved.
    this.calls.delete(key);
    this.calls.set(key, structuredClone(stored));
    if (this.calls.size > this.max) this.calls.delete(this.calls.keys().next().value!);
  }

  forget(projectId: string, extTrackingId: string): void {
    this.calls.delete(keyOf(projectId, extTrackingId));
  }
}

function keyOf(projectId: string, extTrackingId: string): string {
  return `${projectId}\u0000${extTrackingId}`;
}

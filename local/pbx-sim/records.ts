/**
 * Recordings and call statistics as the PBX API serves them: lookups, temporary download
 * links, `records` and `v2/statistics` listings.
 */
import { randomBytes } from 'node:crypto';
import { abonentJson, findAbonent } from './abonents.js';
import type { Pbx, Recording, SimData } from './model.js';

export class RecordQueries {
  constructor(private readonly sim: SimData) {}

  availableRecording(pbx: Pbx, id: string): Recording | undefined {
    const r = this.sim.recordings.get(id);
    return r && r.token === pbx.token && r.availableAt <= Date.now() ? r : undefined;
  }

  recordingByCall(pbx: Pbx, extTrackingId: string, userPattern: string): Recording | undefined {
    const abonent = findAbonent(pbx, userPattern);
    const userId = (abonent?.userId ?? userPattern).toLowerCase();
    const now = Date.now();
    for (const r of this.sim.recordings.values()) {
      if (r.token === pbx.token && r.externalId === extTrackingId && r.userId.toLowerCase() === userId && r.availableAt <= now) {
        return r;
      }
    }
    return undefined;
  }

  /** A new temporary link for a recording, valid for `recordUrlTtlSeconds`. */
  signRecordingUrl(baseUrl: string, rec: Recording): string {
    const now = Date.now();
    for (const [sig, v] of this.sim.signedUrls) if (v.expMs <= now) this.sim.signedUrls.delete(sig);
    const expMs = now + this.sim.faults.recordUrlTtlSeconds * 1000;
    const sig = randomBytes(16).toString('hex');
    this.sim.signedUrls.set(sig, { recordId: rec.id, expMs });
    return `${baseUrl}_sim/recordings/${rec.id}.mp3?exp=${Math.floor(expMs / 1000)}&sig=${sig}`;
  }

  /** Bytes behind a temporary link, or null when the link is unknown or expired. */
  signedRecording(id: string, sig: string | null): Recording | null {
    if (!sig) return null;
    const entry = this.sim.signedUrls.get(sig);
    if (!entry || entry.recordId !== id || entry.expMs <= Date.now()) return null;
    return this.sim.recordings.get(id) ?? null;
  }

  recordJson(r: Recording): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: r.id,
      externalId: r.externalId,
      direction: r.direction,
      date: r.date,
      duration: r.duration,
      fileSize: r.bytes.length,
      abonent: abonentJson(r.abonent),
    };
    if (r.phone !== undefined) out.phone = r.phone;
    return out;
  }

  listRecords(pbx: Pbx, q: { from: number; to: number; userPattern?: string; afterId?: string }): Recording[] {
    const now = Date.now();
    let userId: string | undefined;
    if (q.userPattern) userId = (findAbonent(pbx, q.userPattern)?.userId ?? q.userPattern).toLowerCase();
    const after = q.afterId !== undefined && /^\d+$/.test(q.afterId) ? Number(q.afterId) : -1;
    return [...this.sim.recordings.values()]
      .filter((r) => r.token === pbx.token && r.availableAt <= now && r.date >= q.from && r.date <= q.to && (userId === undefined || r.userId.toLowerCase() === userId) && Number(r.id) > after)
      .sort((a, b) => Number(a.id) - Number(b.id))
      .slice(0, 100);
  }

  listStats(pbx: Pbx, q: { from: number; to: number; userPattern?: string; page: number; pageSize: number }): Record<string, unknown>[] {
    let userId: string | undefined;
    if (q.userPattern) userId = (findAbonent(pbx, q.userPattern)?.userId ?? q.userPattern).toLowerCase();
    return this.sim.stats
      .filter((s) => s.token === pbx.token && s.startDate >= q.from && s.startDate <= q.to && (userId === undefined || s.userId.toLowerCase() === userId))
      .sort((a, b) => a.startDate - b.startDate)
      .slice(q.page * q.pageSize, (q.page + 1) * q.pageSize)
      .map((s) => {
        const row: Record<string, unknown> = {
          startDate: s.startDate,
          abonent: abonentJson(s.abonent),
          direction: s.direction,
          status: s.status,
          duration: s.duration,
        };
        if (s.phone_from !== undefined) row.phone_from = s.phone_from;
        if (s.phone_to !== undefined) row.phone_to = s.phone_to;
        row.externalTrackingId = s.externalTrackingId;
        return row;
      });
  }
}

/**
 * The simulator's timers: every wait of a call being played or of a delivery retry goes
 * through here, so that reset() and close() can stop them all at once.
 */
import { setMaxListeners } from 'node:events';
import { MAX_TIMER_MS } from './model.js';

export class SimClock {
  private abort = SimClock.newAbortController();
  private timers = new Set<NodeJS.Timeout>();

  /** Every timer and delivery listens on this signal: no listener limit. */
  private static newAbortController(): AbortController {
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    return ac;
  }

  /** Aborted by reset(): calls being played and deliveries in flight stop. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Aborts the current signal, starts a new one and clears every pending timer. */
  reset(): void {
    this.abort.abort();
    this.abort = SimClock.newAbortController();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  sleep(ms: number): Promise<boolean> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve(false);
      };
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
        Math.min(ms, MAX_TIMER_MS),
      );
      this.timers.add(t);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

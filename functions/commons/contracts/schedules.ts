/**
 * What each schedule asks the sweeper: `renew` (often: renewals, retries, the quiet check) or
 * `recover` (less often: it reads the PBX's history).
 */
export type SweepTask = 'renew' | 'recover';
export const RENEW_INPUT: { readonly task: SweepTask } = { task: 'renew' };
export const RECOVER_INPUT: { readonly task: SweepTask } = { task: 'recover' };

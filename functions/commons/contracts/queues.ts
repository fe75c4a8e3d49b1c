/**
 * Two queues: `live` (call events and settle timers, which never wait for the PBX) and `work`
 * (everything that talks to the PBX: recovery, recording look-ups, subscriptions), so a slow PBX
 * or one tenant's big recovery never holds up another call's events.
 */
export type QueueLane = 'live' | 'work';
export const QUEUE_LANES: Record<QueueLane, { envVar: string }> = {
  live: { envVar: 'QUEUE_URL' },
  work: { envVar: 'WORK_QUEUE_URL' },
};
/** The kinds of queued messages (ports.ts types each one). */
export type QueueMessageKind = 'event' | 'settle' | 'recover' | 'record' | 'subscription' | 'missed';

const LANE_OF_KIND: Record<QueueMessageKind, QueueLane> = {
  event: 'live',
  settle: 'live',
  recover: 'work',
  record: 'work',
  subscription: 'work',
  missed: 'live',
};
export function laneOf(message: { kind: QueueMessageKind }): QueueLane {
  return LANE_OF_KIND[message.kind];
}

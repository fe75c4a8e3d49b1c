/**
 * Two queues: `live` (call events and settle timers, which never wait for the PBX) and `work`
 * (everything that talks to the PBX: recovery, recording look-ups, subscriptions), so a slow PBX
 * or one tenant's big recovery never holds up another call's events.
 */
import type { QueueMessage } from '../ports';

export type QueueLane = 'live' | 'work';
export const QUEUE_LANES: Record<QueueLane, { envVar: string }> = {
  live: { envVar: 'QUEUE_URL' },
  work: { envVar: 'WORK_QUEUE_URL' },
};
const LANE_OF_KIND: Record<QueueMessage['kind'], QueueLane> = {
  event: 'live',
  settle: 'live',
  recover: 'work',
  record: 'work',
  subscription: 'work',
};
export function laneOf(message: Pick<QueueMessage, 'kind'>): QueueLane {
  return LANE_OF_KIND[message.kind];
}

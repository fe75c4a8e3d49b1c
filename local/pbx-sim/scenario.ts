/**
 * Call scenarios: how the simulated PBX plays a call, as a plan of legs and a timeline of
 * steps (start / answer / release of a leg at an offset from the call's start). Pure data:
 * the simulator core executes the steps and turns them into Xsi events.
 */
import type { ParsedNumber } from './phone.js';
import type { CallEventType, Personality } from './xml.js';

export interface PlannedAbonent {
  userId: string;
  phone?: string;
  recording: boolean;
}

export interface LegPlan<A extends PlannedAbonent = PlannedAbonent> {
  abonent: A;
  personality: Personality;
  /** Event that starts the leg: CallReceivedEvent (incoming), CallOriginatedEvent
   * (outgoing), CallOriginatingEvent (click-to-call, ringing the employee). */
  startEvent: CallEventType;
  /** Whether the leg will be answered when the call is played. */
  willAnswer: boolean;
  ringMs: number;
  talkMs: number;
  /** The other side shown in `remoteParty`; null when hidden. */
  remote: ParsedNumber | null;
  remoteName?: string;
  hidden: boolean;
  releasingParty: 'localRelease' | 'remoteRelease';
  /** `releaseCause/internalReleaseCause` on a released leg that was never answered. */
  missedCause: string;
  /** Whether an answered leg of a recording abonent produces a recording. */
  recordable: boolean;
  /** Whether the leg produces a row in `v2/statistics`. */
  statsRow: boolean;
  direction: 'INBOUND' | 'OUTBOUND';
  /** Requested by the caller of the scenario (for the leg view); the plan may not start it. */
  requestedAnswer: boolean;
  /** One-leg click-to-call: the number the leg rings once the employee accepted (step `originate`). */
  originateTo?: ParsedNumber;
  /** The leg continues the call at a colleague (a pickup or a transfer): it gets a tracking id of its own unless the PBX keeps the call's. */
  continuation?: 'pickup' | 'transfer';
}

export type StepAction = 'start' | 'originate' | 'answer' | 'release';

export interface Step {
  /** Offset from the call's start, ms. */
  at: number;
  /** Order of steps due at the same time: answer (0) → release (1) → start (2). */
  prio: number;
  leg: number;
  action: StepAction;
}

const PRIO: Record<StepAction, number> = { answer: 0, release: 1, start: 2, originate: 3 };

function step(at: number, leg: number, action: StepAction): Step {
  return { at, prio: PRIO[action], leg, action };
}

export function sortSteps(steps: Step[]): Step[] {
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.at - b.s.at || a.s.prio - b.s.prio || a.i - b.i)
    .map((x) => x.s);
}

export interface LegRequest<A extends PlannedAbonent> {
  abonent: A;
  answer: boolean;
  ringMs: number;
  talkMs: number;
  /** A colleague picks the ringing leg up after `ringMs` («перехват»): the leg ends unanswered, the colleague's leg talks. */
  pickedUpBy?: A;
  /** After `talkMs` the employee transfers the client to this colleague, who answers after `ringMs` and talks `talkMs`. */
  transferTo?: A;
}

export const MISSED_CAUSE = 'Temporarily Unavailable';
/** A picked-up call is answered at the colleague's phone this soon after the pickup. */
const PICKUP_ANSWER_MS = 20;

/**
 * The leg `i` takes the call at `at` (answered, or picked up by a colleague), and is followed
 * by a transfer if asked: its steps, and the colleague's legs appended to `plans`.
 */
function takeCall<A extends PlannedAbonent>(plans: LegPlan<A>[], steps: Step[], i: number, request: LegRequest<A>, at: number): void {
  const taker = plans[i]!;
  const colleagueLeg = (abonent: A, continuation: 'pickup' | 'transfer'): number => {
    plans.push({
      ...taker,
      abonent,
      personality: 'Terminator',
      startEvent: continuation === 'pickup' ? 'CallPickedUpEvent' : 'CallTransferredEvent',
      willAnswer: true,
      requestedAnswer: true,
      releasingParty: 'remoteRelease',
      direction: 'INBOUND',
      continuation,
    });
    return plans.length - 1;
  };
  if (request.pickedUpBy) {
    steps.push(step(at, i, 'release'));
    const picked = colleagueLeg(request.pickedUpBy, 'pickup');
    steps.push(step(at, picked, 'start'), step(at + PICKUP_ANSWER_MS, picked, 'answer'));
    steps.push(step(at + PICKUP_ANSWER_MS + request.talkMs, picked, 'release'));
    return;
  }
  taker.willAnswer = true;
  steps.push(step(at, i, 'answer'), step(at + request.talkMs, i, 'release'));
  if (request.transferTo) {
    const transferredAt = at + request.talkMs;
    const transferred = colleagueLeg(request.transferTo, 'transfer');
    steps.push(step(transferredAt, transferred, 'start'), step(transferredAt + request.ringMs, transferred, 'answer'));
    steps.push(step(transferredAt + request.ringMs + request.talkMs, transferred, 'release'));
  }
}

/** The leg takes the call when its ringing ends: answered by the employee or picked up by a colleague. */
const takes = (request: LegRequest<PlannedAbonent>): boolean => request.answer || request.pickedUpBy !== undefined;

/**
 * Incoming call to one or more employees. Simultaneous ringing (all legs start together;
 * the first to answer — smallest ringMs among answering legs, ties to the earlier leg —
 * takes the call and the others are released as missed), or sequential hunting (the next
 * leg starts when the previous one is released; stops at the first answered leg).
 */
export function planIncoming<A extends PlannedAbonent>(
  legs: LegRequest<A>[],
  opts: { client: ParsedNumber | null; clientName?: string; hidden: boolean; sequential: boolean },
): { legs: LegPlan<A>[]; steps: Step[] } {
  const plans: LegPlan<A>[] = legs.map((l) => ({
    abonent: l.abonent,
    personality: 'Terminator',
    startEvent: 'CallReceivedEvent',
    willAnswer: false,
    ringMs: l.ringMs,
    talkMs: l.talkMs,
    remote: opts.hidden ? null : opts.client,
    remoteName: opts.hidden ? undefined : opts.clientName,
    hidden: opts.hidden,
    releasingParty: 'remoteRelease',
    missedCause: MISSED_CAUSE,
    recordable: true,
    statsRow: true,
    direction: 'INBOUND',
    requestedAnswer: l.answer,
  }));
  const steps: Step[] = [];
  const rung = plans.length;
  if (opts.sequential) {
    let t = 0;
    for (let i = 0; i < rung; i++) {
      const p = plans[i]!;
      steps.push(step(t, i, 'start'));
      if (takes(legs[i]!)) {
        takeCall(plans, steps, i, legs[i]!, t + p.ringMs);
        break;
      }
      steps.push(step(t + p.ringMs, i, 'release'));
      t += p.ringMs;
    }
  } else {
    let answerer = -1;
    legs.forEach((l, i) => {
      if (!takes(l)) return;
      if (answerer < 0 || l.ringMs < legs[answerer]!.ringMs) answerer = i;
    });
    const tA = answerer >= 0 ? legs[answerer]!.ringMs : Infinity;
    for (let i = 0; i < rung; i++) {
      const p = plans[i]!;
      steps.push(step(0, i, 'start'));
      if (i === answerer) takeCall(plans, steps, i, legs[i]!, p.ringMs);
      else steps.push(step(Math.min(p.ringMs, tA), i, 'release'));
    }
  }
  return { legs: plans, steps: sortSteps(steps) };
}

/** Outgoing call dialled from the employee's phone (legs[0] is the caller). */
export function planOutgoing<A extends PlannedAbonent>(leg: LegRequest<A>, opts: { client: ParsedNumber | null; clientName?: string; hidden: boolean }): { legs: LegPlan<A>[]; steps: Step[] } {
  const plan: LegPlan<A> = {
    abonent: leg.abonent,
    personality: 'Originator',
    startEvent: 'CallOriginatedEvent',
    willAnswer: leg.answer,
    ringMs: leg.ringMs,
    talkMs: leg.talkMs,
    remote: opts.hidden ? null : opts.client,
    remoteName: opts.hidden ? undefined : opts.clientName,
    hidden: opts.hidden,
    releasingParty: 'localRelease',
    missedCause: MISSED_CAUSE,
    recordable: true,
    statsRow: true,
    direction: 'OUTBOUND',
    requestedAnswer: leg.answer,
  };
  const steps: Step[] = [step(0, 0, 'start')];
  const plans = [plan];
  if (leg.answer) takeCall(plans, steps, 0, { ...leg, pickedUpBy: undefined }, leg.ringMs);
  else steps.push(step(leg.ringMs, 0, 'release'));
  return { legs: plans, steps: sortSteps(steps) };
}

/**
 * Click-to-call: leg 0 rings the employee (remote = the employee's own number), when the
 * employee answers leg 1 dials the client (remote = the client); both are `Click-to-Dial`,
 * both at the employee. They end together after the talk.
 */
export function planClickToCall<A extends PlannedAbonent>(
  abonent: A,
  self: ParsedNumber,
  client: ParsedNumber,
  cfg: { ringMs: number; talkMs: number; employeeAnswers: boolean; clientAnswers: boolean },
): { legs: LegPlan<A>[]; steps: Step[] } {
  const base = {
    abonent,
    personality: 'Click-to-Dial' as const,
    ringMs: cfg.ringMs,
    talkMs: cfg.talkMs,
    hidden: false,
    releasingParty: 'localRelease' as const,
    missedCause: MISSED_CAUSE,
    direction: 'OUTBOUND' as const,
  };
  const employeeLeg: LegPlan<A> = {
    ...base,
    startEvent: 'CallOriginatingEvent',
    willAnswer: cfg.employeeAnswers,
    remote: self,
    recordable: false,
    statsRow: !cfg.employeeAnswers,
    requestedAnswer: cfg.employeeAnswers,
  };
  const clientLeg: LegPlan<A> = {
    ...base,
    startEvent: 'CallOriginatedEvent',
    willAnswer: cfg.employeeAnswers && cfg.clientAnswers,
    remote: client,
    recordable: true,
    statsRow: true,
    requestedAnswer: cfg.clientAnswers,
  };
  const r = cfg.ringMs;
  const steps: Step[] = [step(0, 0, 'start')];
  if (!cfg.employeeAnswers) {
    steps.push(step(r, 0, 'release'));
    return { legs: [employeeLeg, clientLeg], steps: sortSteps(steps) };
  }
  steps.push(step(r, 0, 'answer'));
  steps.push(step(r, 1, 'start'));
  if (cfg.clientAnswers) {
    steps.push(step(2 * r, 1, 'answer'));
    steps.push(step(2 * r + cfg.talkMs, 1, 'release'));
    steps.push(step(2 * r + cfg.talkMs, 0, 'release'));
  } else {
    steps.push(step(2 * r, 1, 'release'));
    steps.push(step(2 * r, 0, 'release'));
  }
  return { legs: [employeeLeg, clientLeg], steps: sortSteps(steps) };
}

/**
 * Click-to-call as the real PBX plays it: one leg. It starts as `Click-to-Dial` ringing the
 * employee (remote = the employee's own number); once the employee accepts, the same leg turns
 * `Originator` ringing the client (`CallOriginatedEvent`), is answered when the client answers,
 * and released. An employee who does not pick up releases it while still `Click-to-Dial`.
 */
export function planClickToCallOneLeg<A extends PlannedAbonent>(
  abonent: A,
  self: ParsedNumber,
  client: ParsedNumber,
  cfg: { ringMs: number; talkMs: number; employeeAnswers: boolean; clientAnswers: boolean },
): { legs: LegPlan<A>[]; steps: Step[] } {
  const leg: LegPlan<A> = {
    abonent,
    personality: 'Click-to-Dial',
    startEvent: 'CallOriginatingEvent',
    willAnswer: cfg.employeeAnswers && cfg.clientAnswers,
    ringMs: cfg.ringMs,
    talkMs: cfg.talkMs,
    remote: self,
    hidden: false,
    releasingParty: 'localRelease',
    missedCause: cfg.employeeAnswers ? MISSED_CAUSE : 'Request Timeout',
    recordable: true,
    statsRow: true,
    direction: 'OUTBOUND',
    requestedAnswer: cfg.clientAnswers,
    originateTo: client,
  };
  const r = cfg.ringMs;
  const steps: Step[] = [step(0, 0, 'start')];
  if (!cfg.employeeAnswers) {
    steps.push(step(r, 0, 'release'));
  } else {
    steps.push(step(r, 0, 'originate'));
    if (cfg.clientAnswers) {
      steps.push(step(2 * r, 0, 'answer'));
      steps.push(step(2 * r + cfg.talkMs, 0, 'release'));
    } else {
      steps.push(step(2 * r, 0, 'release'));
    }
  }
  return { legs: [leg], steps: sortSteps(steps) };
}

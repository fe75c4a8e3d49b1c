/**
 * Calls being played: a plan of legs and steps (scenario.ts) run on the simulator's clock,
 * each step turned into call events for the live subscriptions; released legs leave
 * statistics rows and recordings behind.
 */
import { randomUUID } from 'node:crypto';
import type { SimClock } from './clock.js';
import type { EventSender } from './events.js';
import { parseCallRequest } from './input.js';
import { DEFAULT_BEHAVIOUR, type Abonent, type CallView, type Leg, type LegView, type Pbx, type PbxBehaviour, type Recording, type SimCall, type SimData, type StatRow } from './model.js';
import { parsePhoneNumber, type ParsedNumber } from './phone.js';
import { fakeMp3 } from './recordings.js';
import { planClickToCall, planClickToCallOneLeg, planIncoming, planOutgoing, type LegPlan, type Step } from './scenario.js';
import type { Subscriptions } from './subscriptions.js';
import { buildCallEventXml, type CallEventType, type CallFields, type RemotePartyFields } from './xml.js';

/** The other side's number as the PBX writes it under `remoteAddress`. */
function remoteNumber(remote: ParsedNumber, name: string | undefined, form: PbxBehaviour['remoteAddress']): RemotePartyFields {
  if (form === 'userDN') return { name, userDN: remote.telUri, callType: 'Network' };
  const uri = form === 'sip' ? `sip:+${remote.international}@mpbx.sip.beeline.ru` : remote.telUri;
  return { name, address: { uri, countryCode: remote.countryCode }, callType: 'Network' };
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Marks a call settled (ended, every delivery attempt finished); idempotent. */
export function finishSettle(call: SimCall): void {
  if (call.settled) return;
  call.settled = true;
  call.resolveDone();
}

export class CallPlayer {
  private callHalfCounter = 5_500_000 + Math.floor(Math.random() * 400_000);
  private recordCounter = 1_000_000;

  constructor(
    private readonly sim: SimData,
    private readonly clock: SimClock,
    private readonly events: EventSender,
    private readonly subscriptions: Subscriptions,
    private readonly log: (line: string) => void,
  ) {}

  private callFields(call: SimCall, leg: Leg, type: CallEventType): CallFields {
    const released = type === 'CallReleasedEvent';
    const answered = leg.answerTime !== undefined;
    const state = released ? 'Released' : type === 'CallAnsweredEvent' ? 'Active' : 'Alerting';
    // Like the real PBX: a missed incoming leg's released event carries no address.
    const bareRemote = released && !answered && leg.personality === 'Terminator';
    const fields: CallFields = {
      callId: leg.callId,
      extTrackingId: leg.extTrackingId,
      personality: leg.personality,
      state,
      remoteParty: bareRemote
        ? { privacy: leg.hidden, callType: 'Network' }
        : leg.hidden || !leg.remote
          ? { privacy: true, callType: 'Network' }
          : remoteNumber(leg.remote, leg.remoteName, this.sim.pbxs.get(call.token)?.behaviour.remoteAddress ?? DEFAULT_BEHAVIOUR.remoteAddress),
      startTime: leg.startTime ?? Date.now(),
    };
    // Answered incoming legs carry networkCallId/endpoint/appearance (as in the captured
    // samples); missed and outgoing legs do not.
    if (leg.personality === 'Terminator' && leg.willAnswer) {
      fields.networkCallId = leg.networkCallId;
      fields.endpointAddressOfRecord = leg.abonent.userId;
      fields.appearance = 1;
    }
    if (released) {
      fields.releasingParty = leg.releasingParty;
      if (!answered) fields.internalReleaseCause = leg.missedCause;
      fields.releaseTime = leg.releaseTime;
    }
    if (answered && (type === 'CallAnsweredEvent' || released)) fields.answerTime = leg.answerTime;
    const recordedElement = this.sim.pbxs.get(call.token)?.behaviour.recordedElement ?? DEFAULT_BEHAVIOUR.recordedElement;
    if (released && answered && leg.recordable && leg.abonent.recording && recordedElement === 'always') fields.recorded = true;
    return fields;
  }

  private emitLegEvent(call: SimCall, leg: Leg, type: CallEventType): void {
    const fields = this.callFields(call, leg, type);
    for (const sub of this.subscriptions.subscriptionsFor(call.token, leg.abonent.userId)) {
      const env = this.events.nextEnvelope(sub, leg.abonent.userId);
      const ev = this.events.newEvent(sub, env, type, buildCallEventXml(env, type, fields), call, leg);
      call.events.push(ev);
      if (call.dropEvents || call.dropEventTypes.includes(type)) {
        ev.dropped = true;
      } else if (call.shuffleEvents) {
        ev.held = true;
        call.held.push({ ev, sub });
      } else {
        void this.events.dispatch(ev, sub, call);
      }
    }
  }

  private newCall(
    pbx: Pbx,
    base: Pick<SimCall, 'direction' | 'source' | 'client' | 'clientName' | 'hideNumber' | 'sequential'>,
    plan: { legs: LegPlan<Abonent>[]; steps: Step[] },
    extTrackingId: string = randomUUID(),
  ): SimCall {
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const call: SimCall = {
      ...base,
      extTrackingId,
      token: pbx.token,
      legs: plan.legs.map((p, index) => ({
        ...p,
        index,
        callId: `callhalf-${++this.callHalfCounter}:0`,
        extTrackingId: p.continuation && pbx.behaviour.continuationTrackingId === 'new' ? randomUUID() : extTrackingId,
        networkCallId: `BW${Date.now()}${Math.floor(Math.random() * 1e6)}@10.0.0.1`,
        state: 'pending' as const,
      })),
      steps: plan.steps,
      state: 'playing',
      t0: Date.now(),
      dropEvents: this.sim.faults.dropEvents,
      dropEventTypes: [...this.sim.faults.dropEventTypes],
      shuffleEvents: this.sim.faults.shuffleEvents,
      events: [],
      held: [],
      pending: new Set(),
      settled: false,
      done,
      resolveDone,
      recordingIds: [],
    };
    this.sim.calls.set(call.extTrackingId, call);
    this.log(`pbx-sim: call ${call.extTrackingId} ${call.direction}/${call.source} client=${call.client?.telUri ?? 'hidden'} legs=${call.legs.length}`);
    void this.run(call);
    return call;
  }

  private async run(call: SimCall): Promise<void> {
    const signal = this.clock.signal;
    for (const s of call.steps) {
      const wait = call.t0 + s.at - Date.now();
      if (wait > 0 && !(await this.clock.sleep(wait))) return;
      if (signal.aborted) return;
      const leg = call.legs[s.leg];
      if (leg) this.runStep(call, leg, s, call.t0 + s.at);
    }
    call.state = 'ended';
    call.endedAt = Date.now();
    if (call.held.length) {
      for (const { ev, sub } of shuffled(call.held)) {
        ev.held = false;
        void this.events.dispatch(ev, sub, call);
      }
      call.held = [];
    }
    while (call.pending.size) await Promise.allSettled([...call.pending]);
    finishSettle(call);
  }

  private runStep(call: SimCall, leg: Leg, s: Step, at: number): void {
    if (s.action === 'start') {
      leg.state = 'Alerting';
      leg.startTime = at;
      this.emitLegEvent(call, leg, leg.startEvent);
    } else if (s.action === 'answer') {
      leg.state = 'Active';
      leg.answerTime = at;
      this.emitLegEvent(call, leg, 'CallAnsweredEvent');
    } else if (s.action === 'originate') {
      // One-leg click-to-call: the employee accepted; the same leg now rings the client.
      leg.personality = 'Originator';
      leg.remote = leg.originateTo ?? leg.remote;
      this.emitLegEvent(call, leg, 'CallOriginatedEvent');
    } else {
      leg.state = 'Released';
      leg.releaseTime = at;
      leg.outcome = leg.answerTime !== undefined ? 'answered' : 'missed';
      this.emitLegEvent(call, leg, 'CallReleasedEvent');
      this.afterRelease(call, leg);
    }
  }

  private afterRelease(call: SimCall, leg: Leg): void {
    const startTime = leg.startTime ?? call.t0;
    const releaseTime = leg.releaseTime ?? Date.now();
    const answered = leg.answerTime !== undefined;
    const duration = answered ? releaseTime - (leg.answerTime ?? releaseTime) : releaseTime - startTime;
    const otherPhone = call.hideNumber || !call.client ? undefined : call.client.display;
    if (leg.statsRow) {
      const row: StatRow = {
        token: call.token,
        userId: leg.abonent.userId,
        startDate: startTime,
        abonent: leg.abonent,
        direction: leg.direction,
        status: leg.direction === 'OUTBOUND' ? 'PLACED' : answered ? 'RECIEVED' : 'MISSED',
        // An unanswered outgoing leg: nothing was talked (the client never answered).
        duration: leg.direction === 'OUTBOUND' && !answered ? 0 : duration,
        externalTrackingId: leg.extTrackingId,
      };
      if (leg.direction === 'INBOUND') {
        if (otherPhone !== undefined) row.phone_from = otherPhone;
        row.phone_to = leg.abonent.phone;
      } else {
        row.phone_from = leg.abonent.phone;
        if (otherPhone !== undefined) row.phone_to = otherPhone;
      }
      this.sim.stats.push(row);
    }
    if (answered && leg.recordable && leg.abonent.recording) {
      const id = String(++this.recordCounter);
      const rec: Recording = {
        id,
        token: call.token,
        externalId: leg.extTrackingId,
        userId: leg.abonent.userId,
        abonent: leg.abonent,
        direction: leg.direction,
        date: startTime,
        duration,
        availableAt: Date.now() + this.sim.faults.recordDelayMs,
        bytes: fakeMp3(duration, `${leg.extTrackingId}/${leg.abonent.userId}`),
      };
      if (otherPhone !== undefined) rec.phone = otherPhone;
      this.sim.recordings.set(id, rec);
      call.recordingIds.push(id);
    }
  }

  /** The state of the abonent's legs now ringing or talking, as call elements (a new subscription's initial state). */
  callsInProgressAt(token: string, userId: string): CallFields[] {
    return [...this.sim.calls.values()].flatMap((call) =>
      call.token !== token || call.state !== 'playing'
        ? []
        : call.legs
            .filter((leg) => leg.abonent.userId === userId && (leg.state === 'Alerting' || leg.state === 'Active'))
            .map((leg) => this.callFields(call, leg, leg.state === 'Active' ? 'CallAnsweredEvent' : leg.startEvent)),
    );
  }

  /** Validates a `POST /_sim/calls` body and starts playing the call; returns at once. */
  playCall(input: unknown): SimCall {
    const { pbx, direction, client, clientName, hideNumber, sequential, extTrackingId, legs } = parseCallRequest(input, this.sim);
    const opts = { client, clientName, hidden: hideNumber };
    const plan = direction === 'incoming' ? planIncoming(legs, { ...opts, sequential }) : planOutgoing(legs[0]!, opts);
    return this.newCall(pbx, { direction, source: 'control', client, clientName, hideNumber, sequential }, plan, extTrackingId);
  }

  /** Click-to-call (`POST abonents/{pattern}/call`): the call id is the extTrackingId. */
  clickToCall(pbx: Pbx, abonent: Abonent, client: ParsedNumber): SimCall {
    // A SIP account has no number: its own side shows as its extension.
    const self = (abonent.phone ? parsePhoneNumber(abonent.phone) : abonent.extension ? parsePhoneNumber(abonent.extension) : null) ?? client;
    const plan = (pbx.behaviour.clickToCall === 'one-leg' ? planClickToCallOneLeg : planClickToCall)(abonent, self, client, this.sim.faults.clickToCall);
    return this.newCall(pbx, { direction: 'outgoing', source: 'click-to-call', client, hideNumber: false, sequential: false }, plan);
  }

  callView(call: SimCall): CallView {
    const now = Date.now();
    const view: CallView = {
      extTrackingId: call.extTrackingId,
      token: call.token,
      direction: call.direction,
      source: call.source,
      client: call.client?.raw ?? null,
      clientAddress: call.client?.telUri ?? null,
      hideNumber: call.hideNumber,
      sequential: call.sequential,
      state: call.state,
      settled: call.settled,
      startedAt: new Date(call.t0).toISOString(),
      faults: { dropEvents: call.dropEvents, shuffleEvents: call.shuffleEvents },
      legs: call.legs.map((l) => {
        const v: LegView = {
          index: l.index,
          abonent: l.abonent.userId,
          phone: l.abonent.phone,
          callId: l.callId,
          extTrackingId: l.extTrackingId,
          ...(l.continuation && { continuation: l.continuation }),
          personality: l.personality,
          answer: l.requestedAnswer,
          ringMs: l.ringMs,
          talkMs: l.talkMs,
          state: l.state,
          outcome: l.outcome ?? (call.state === 'ended' ? 'not-started' : 'pending'),
          recorded: l.answerTime !== undefined && l.recordable && l.abonent.recording,
        };
        if (l.startTime !== undefined) v.startTime = l.startTime;
        if (l.answerTime !== undefined) v.answerTime = l.answerTime;
        if (l.releaseTime !== undefined) v.releaseTime = l.releaseTime;
        return v;
      }),
      events: call.events,
      recordings: call.recordingIds.flatMap((id) => {
        const r = this.sim.recordings.get(id);
        return r ? [{ id, userId: r.userId, availableAt: new Date(r.availableAt).toISOString(), available: r.availableAt <= now }] : [];
      }),
    };
    if (call.endedAt !== undefined) view.endedAt = new Date(call.endedAt).toISOString();
    return view;
  }
}

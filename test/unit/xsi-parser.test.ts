import { describe, it, expect } from 'vitest';
import { xsiEventSchema } from '../../functions/commons/domain/xsi-event-schema';
import { parseXsiEvent } from '../../functions/commons/domain/xsi-parser';
import type { ParseResult, XsiEnvelope, XsiEvent } from '../../functions/commons/domain/xsi-event';
import { eventNames, loadEvent } from '../fixtures/events';

const TARGET = '9001234567@mpbx.sip.beeline.ru';

function envelope(eventId: string, sequenceNumber: number, eventType: string, targetId = TARGET): XsiEnvelope {
  return {
    eventId,
    sequenceNumber,
    userId: 'MPBX_E_500100_78120000000_EventSubscription@ip.beeline.ru',
    externalApplicationId: '78120000000_c0ffee00c0ffee00c0ffee00c0ffee00',
    subscriptionId: '5e1d6a0b-3c2f-4e8d-8a7b-1f0e9d8c7b6a',
    targetId,
    eventType,
  };
}

function parsed(name: string): XsiEvent {
  const result = parseXsiEvent(loadEvent(name));
  if (!result.ok) throw new Error(`${name}: ${result.error}`);
  return result.event;
}

function errorOf(body: string): string {
  const result = parseXsiEvent(body);
  if (result.ok) throw new Error('expected ok:false');
  return result.error;
}

const ANSWERED_CALL = {
  callId: 'callhalf-7700101:0',
  extTrackingId: 'aaaa0001-1111-4222-8333-444455556666',
  networkCallId: 'BW0807551231107261234@10.10.0.5',
  personality: 'Terminator',
  remoteParty: {
    name: 'Petrova & Co',
    address: 'tel:+79161234567',
    countryCode: '7',
    userDN: 'tel:+79161234567',
    callType: 'Network',
    privacy: false,
  },
  endpointAddressOfRecord: TARGET,
  redirections: [],
  acdCall: false,
  startTime: 1800000000000,
};

const ANSWERED_RELEASED: XsiEvent = {
  kind: 'call',
  type: 'CallReleasedEvent',
  envelope: envelope('11111111-0000-4000-8000-000000000003', 19, 'CallReleasedEvent'),
  call: {
    ...ANSWERED_CALL,
    state: 'Released',
    releasingParty: 'localRelease',
    answerTime: 1800000004500,
    releaseTime: 1800000095250,
    recorded: true,
  },
};

describe('parseXsiEvent: the initial state after a subscription', () => {
  it('CallSubscriptionEvent (a `calls` list, sent right after subscribing) is accepted and ignored, never refused', () => {
    const parsed = parseXsiEvent(loadEvent('call-subscription-initial'));
    expect(parsed).toMatchObject({ ok: true, event: { kind: 'ignored', type: 'CallSubscriptionEvent', envelope: { subscriptionId: '5e1d6a0b-3c2f-4e8d-8a7b-1f0e9d8c7b6a' } } });
  });
});

describe('parseXsiEvent: pickups, transfers and redirections', () => {
  it('CallPickedUpEvent and CallTransferredEvent are call events with the new tracking id', () => {
    expect(parsed('call-picked-up')).toMatchObject({
      kind: 'call',
      type: 'CallPickedUpEvent',
      call: { callId: 'callhalf-6620107:0', extTrackingId: 'b7e6d5c4-3a2b-4c1d-9e8f-7a6b5c4d3e2f', state: 'Alerting', remoteParty: { address: 'tel:+79161234567' } },
    });
    expect(parsed('call-transferred')).toMatchObject({
      kind: 'call',
      type: 'CallTransferredEvent',
      call: { extTrackingId: 'c8f7e6d5-4b3c-4d2e-8f9a-8b7c6d5e4f3a', answerTime: 1800000121000 },
    });
  });

  it('CallRedirectedEvent: every call of its `calls` list is read, none dropped', () => {
    const event = parsed('call-redirected-list');
    expect(event).toMatchObject({
      kind: 'call',
      type: 'CallRedirectedEvent',
      call: { callId: 'callhalf-6620301:0', state: 'Released' },
      otherCalls: [{ callId: 'callhalf-6620302:0', state: 'Alerting', startTime: 1800000020000 }],
    });
    expect(xsiEventSchema.safeParse(event).success).toBe(true);
  });

  it('a `calls` list is read up to its bound', () => {
    const body = loadEvent('call-redirected-list');
    const oneCall = body.slice(body.indexOf('<xsi:call>'), body.indexOf('</xsi:call>') + '</xsi:call>'.length);
    const many = body.replace(/<xsi:calls>[\s\S]*<\/xsi:calls>/, `<xsi:calls>${oneCall.repeat(40)}</xsi:calls>`);
    const result = parseXsiEvent(many);
    expect(result.ok && result.event.kind === 'call' && result.event.otherCalls?.length).toBe(15);
  });
});

describe('parseXsiEvent: incoming answered call', () => {
  it('keeps nothing of the echoed webhook URL, whose path holds the secret', () => {
    const body = loadEvent('incoming-answered-1-received');
    expect(body).toContain('hook-token');
    expect(JSON.stringify(parseXsiEvent(body))).not.toContain('hook-token');
  });

  it('CallReceivedEvent', () => {
    expect(parseXsiEvent(loadEvent('incoming-answered-1-received'))).toStrictEqual({
      ok: true,
      event: {
        kind: 'call',
        type: 'CallReceivedEvent',
        envelope: envelope('11111111-0000-4000-8000-000000000001', 17, 'CallReceivedEvent'),
        call: { ...ANSWERED_CALL, state: 'Alerting', recorded: false },
      },
    } satisfies ParseResult);
  });

  it('CallAnsweredEvent', () => {
    expect(parseXsiEvent(loadEvent('incoming-answered-2-answered'))).toStrictEqual({
      ok: true,
      event: {
        kind: 'call',
        type: 'CallAnsweredEvent',
        envelope: envelope('11111111-0000-4000-8000-000000000002', 18, 'CallAnsweredEvent'),
        call: { ...ANSWERED_CALL, state: 'Active', answerTime: 1800000004500, recorded: false },
      },
    } satisfies ParseResult);
  });

  it('CallReleasedEvent with <recorded/>', () => {
    expect(parseXsiEvent(loadEvent('incoming-answered-3-released'))).toStrictEqual({
      ok: true,
      event: ANSWERED_RELEASED,
    });
  });

  it('matches local names whatever the namespace prefixes are', () => {
    expect(parsed('incoming-answered-3-released-other-prefixes')).toStrictEqual(ANSWERED_RELEASED);
    expect(parsed('incoming-answered-3-released-default-namespace')).toStrictEqual(ANSWERED_RELEASED);
  });
});

describe('parseXsiEvent: incoming missed call', () => {
  it('CallReceivedEvent', () => {
    expect(parsed('incoming-missed-1-received')).toStrictEqual({
      kind: 'call',
      type: 'CallReceivedEvent',
      envelope: envelope('22222222-0000-4000-8000-000000000001', 40, 'CallReceivedEvent', '9007654321@mpbx.sip.beeline.ru'),
      call: {
        callId: 'callhalf-7700202:0',
        extTrackingId: 'bbbb0002-1111-4222-8333-444455556666',
        personality: 'Terminator',
        state: 'Alerting',
        remoteParty: { address: 'tel:+74951112233', countryCode: '7', callType: 'Network', privacy: false },
        redirections: [],
        acdCall: false,
        startTime: 1800003600000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });

  it('CallReleasedEvent with <privacy/>, no address, a release cause', () => {
    expect(parsed('incoming-missed-2-released-no-address')).toStrictEqual({
      kind: 'call',
      type: 'CallReleasedEvent',
      envelope: envelope('22222222-0000-4000-8000-000000000002', 41, 'CallReleasedEvent', '9007654321@mpbx.sip.beeline.ru'),
      call: {
        callId: 'callhalf-7700202:0',
        extTrackingId: 'bbbb0002-1111-4222-8333-444455556666',
        personality: 'Terminator',
        state: 'Released',
        releasingParty: 'remoteRelease',
        internalReleaseCause: 'Temporarily Unavailable',
        remoteParty: { callType: 'Network', privacy: true },
        redirections: [],
        acdCall: false,
        startTime: 1800003600000,
        releaseTime: 1800003627000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });
});

describe('parseXsiEvent: outgoing call', () => {
  const call = {
    callId: 'callhalf-7700303:0',
    extTrackingId: 'cccc0003-1111-4222-8333-444455556666',
    networkCallId: 'BW0911223344556677889@10.10.0.7',
    personality: 'Originator',
    remoteParty: { address: 'tel:+375291234567', countryCode: '375', callType: 'Network', privacy: false },
    redirections: [],
    acdCall: false,
    startTime: 1800007200000,
  };

  it('CallOriginatedEvent to tel:+375291234567', () => {
    expect(parsed('outgoing-1-originated')).toStrictEqual({
      kind: 'call',
      type: 'CallOriginatedEvent',
      envelope: envelope('33333333-0000-4000-8000-000000000001', 77, 'CallOriginatedEvent'),
      call: { ...call, state: 'Alerting', recorded: false },
    } satisfies XsiEvent);
  });

  it('CallReleasedEvent, answered and recorded', () => {
    expect(parsed('outgoing-2-released')).toStrictEqual({
      kind: 'call',
      type: 'CallReleasedEvent',
      envelope: envelope('33333333-0000-4000-8000-000000000002', 78, 'CallReleasedEvent'),
      call: {
        ...call,
        state: 'Released',
        releasingParty: 'localRelease',
        answerTime: 1800007215000,
        releaseTime: 1800007300000,
        recorded: true,
        recordingState: 'Completed',
      },
    } satisfies XsiEvent);
  });
});

describe('parseXsiEvent: other event kinds', () => {
  it('SubscriptionTerminatedEvent (empty eventData)', () => {
    expect(parsed('subscription-terminated')).toStrictEqual({
      kind: 'subscriptionTerminated',
      envelope: envelope('44444444-0000-4000-8000-000000000001', 90, 'SubscriptionTerminatedEvent'),
    } satisfies XsiEvent);
  });

  it('HookStatusEvent is ignored', () => {
    expect(parsed('hook-status')).toStrictEqual({
      kind: 'ignored',
      type: 'HookStatusEvent',
      envelope: envelope('55555555-0000-4000-8000-000000000001', 91, 'HookStatusEvent'),
    } satisfies XsiEvent);
  });

  it('an unknown type is ignored and keeps its call; unknown elements do not matter', () => {
    expect(parsed('unknown-type-with-call')).toStrictEqual({
      kind: 'ignored',
      type: 'SomethingNewEvent',
      envelope: envelope('66666666-0000-4000-8000-000000000001', 92, 'SomethingNewEvent'),
      call: {
        callId: 'callhalf-7700606:0',
        extTrackingId: 'ffff0006-1111-4222-8333-444455556666',
        personality: 'Terminator',
        state: 'Active',
        redirections: [],
        acdCall: false,
        startTime: 1800010000000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });

  it('CallRecordingStartedEvent is ignored and keeps its call', () => {
    const event = parsed('recording-started');
    expect(event).toMatchObject({ kind: 'ignored', type: 'CallRecordingStartedEvent' });
    expect(event.kind === 'ignored' && event.call?.recordingState).toBe('Started');
  });

  it('a call event without extTrackingId is ignored, without a call', () => {
    expect(parsed('call-event-without-tracking-id')).toStrictEqual({
      kind: 'ignored',
      type: 'CallUpdatedEvent',
      envelope: envelope('bbbbbbbb-0000-4000-8000-000000000001', 150, 'CallUpdatedEvent', 'SIP00ABCDE00A0J@ip.beeline.ru'),
    } satisfies XsiEvent);
  });
});

describe('parseXsiEvent: special legs', () => {
  it('hunt-group leg: huntGroupUserId, two redirections, acdCallInfo', () => {
    expect(parsed('hunt-group-leg-received')).toStrictEqual({
      kind: 'call',
      type: 'CallReceivedEvent',
      envelope: envelope('88888888-0000-4000-8000-000000000001', 120, 'CallReceivedEvent', '9002223344@mpbx.sip.beeline.ru'),
      call: {
        callId: 'callhalf-7700808:1',
        extTrackingId: 'dddd0008-1111-4222-8333-444455556666',
        networkCallId: 'BW1234500000000000008@10.10.0.9',
        personality: 'Terminator',
        state: 'Alerting',
        remoteParty: {
          name: '+79261112233',
          address: 'tel:+79261112233',
          countryCode: '7',
          callType: 'Network',
          privacy: false,
        },
        endpointAddressOfRecord: '9002223344@mpbx.sip.beeline.ru',
        redirections: [
          {
            address: 'tel:+78123334455',
            userId: '9005556677_hg_1@mpbx.sip.beeline.ru',
            userDN: 'tel:+78123334455;ext=100',
            callType: 'Group',
            reason: 'hunt-group',
          },
          { address: 'tel:101', userId: TARGET, callType: 'Group', reason: 'no-answer' },
        ],
        huntGroupUserId: '9005556677_hg_1@mpbx.sip.beeline.ru',
        acdCall: true,
        startTime: 1800020000000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });

  it('a single redirection is a one-element list', () => {
    const body = loadEvent('hunt-group-leg-received').replace(/<xsi:redirection>(?:(?!<\/xsi:redirection>)[\s\S])*<xsi:reason>no-answer[\s\S]*?<\/xsi:redirection>/, '');
    const event = parseEventOk(body);
    expect(event.kind === 'call' && event.call.redirections).toStrictEqual([
      {
        address: 'tel:+78123334455',
        userId: '9005556677_hg_1@mpbx.sip.beeline.ru',
        userDN: 'tel:+78123334455;ext=100',
        callType: 'Group',
        reason: 'hunt-group',
      },
    ]);
  });

  it('colleague call: remoteParty userId, callType Group', () => {
    expect(parsed('colleague-call-released')).toStrictEqual({
      kind: 'call',
      type: 'CallReleasedEvent',
      envelope: envelope('99999999-0000-4000-8000-000000000001', 130, 'CallReleasedEvent'),
      call: {
        callId: 'callhalf-7700909:0',
        extTrackingId: 'eeee0009-1111-4222-8333-444455556666',
        personality: 'Originator',
        state: 'Released',
        releasingParty: 'remoteRelease',
        remoteParty: {
          name: 'Sidorov Ivan',
          address: 'tel:+79002223344',
          countryCode: '7',
          userId: '9002223344@mpbx.sip.beeline.ru',
          userDN: 'tel:+79002223344;ext=102',
          callType: 'Group',
          privacy: false,
        },
        redirections: [],
        acdCall: false,
        startTime: 1800030000000,
        answerTime: 1800030003000,
        releaseTime: 1800030060000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });

  it('click-to-dial leg', () => {
    expect(parsed('click-to-dial-originating')).toStrictEqual({
      kind: 'call',
      type: 'CallOriginatingEvent',
      envelope: envelope('aaaaaaaa-0000-4000-8000-000000000001', 140, 'CallOriginatingEvent'),
      call: {
        callId: 'callhalf-7701010:0',
        extTrackingId: 'abab0010-1111-4222-8333-444455556666',
        personality: 'Click-to-Dial',
        state: 'Alerting',
        remoteParty: { address: 'tel:+79169876543', countryCode: '7', callType: 'Network', privacy: false },
        redirections: [],
        acdCall: false,
        startTime: 1800040000000,
        recorded: false,
      },
    } satisfies XsiEvent);
  });
});

function parseEventOk(body: string): XsiEvent {
  const result = parseXsiEvent(body);
  if (!result.ok) throw new Error(result.error);
  return result.event;
}

describe('parseXsiEvent: values', () => {
  const released = loadEvent('incoming-answered-3-released');

  it('non-numeric times and sequence numbers become undefined', () => {
    const event = parseEventOk(
      released
        .replace('<xsi:sequenceNumber>19<', '<xsi:sequenceNumber>-19<')
        .replace('<xsi:startTime>1800000000000<', '<xsi:startTime>soon<')
        .replace('<xsi:answerTime>1800000004500<', '<xsi:answerTime>1.8e12<')
        .replace('<xsi:releaseTime>1800000095250<', '<xsi:releaseTime>99999999999999999<'),
    );
    expect(event.envelope.sequenceNumber).toBeUndefined();
    expect(event.kind === 'call' && [event.call.startTime, event.call.answerTime, event.call.releaseTime]).toStrictEqual([undefined, undefined, undefined]);
  });

  it('decodes predefined entities and character references, nothing else', () => {
    const event = parseEventOk(released.replace('<xsi:name>Petrova &amp; Co</xsi:name>', '<xsi:name>&#1048;&#x432;&amp;lt; &lt;&gt;&quot;&apos; &foo;</xsi:name>'));
    expect(event.kind === 'call' && event.call.remoteParty?.name).toBe(`Ив&lt; <>"' &foo;`);
  });

  it('trims values, keeps CDATA text, and accepts a BOM or leading whitespace', () => {
    const event = parseEventOk(`\uFEFF${released.replace('<xsi:name>Petrova &amp; Co</xsi:name>', '<xsi:name>\n  <![CDATA[Petrova <Co>]]>  </xsi:name>')}`);
    expect(event.kind === 'call' && event.call.remoteParty?.name).toBe('Petrova <Co>');
    expect(parseEventOk(`\n  ${released}`)).toStrictEqual(ANSWERED_RELEASED);
  });

  it('address without countryCode, and countryCode without address', () => {
    const event = parseEventOk(released.replace('<xsi:address countryCode="7">tel:+79161234567</xsi:address>', '<xsi:address countryCode="7"/>'));
    expect(event.kind === 'call' && event.call.remoteParty).toStrictEqual({
      name: 'Petrova & Co',
      countryCode: '7',
      userDN: 'tel:+79161234567',
      callType: 'Network',
      privacy: false,
    });
  });

  it('an eventData type without a prefix, and a missing one', () => {
    expect(parseEventOk(released.replace('xsi1:type="xsi:CallReleasedEvent"', 'xsi1:type="CallReleasedEvent"'))).toStrictEqual(ANSWERED_RELEASED);
    expect(errorOf(released.replace('xsi1:type="xsi:CallReleasedEvent"', ''))).toBe('missing eventData type');
  });
});

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>&lol3;</xsi:eventID></xsi:Event>`;

const EXTERNAL_ENTITY = `<?xml version="1.0"?>
<!DOCTYPE Event [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>&x;</xsi:eventID></xsi:Event>`;

describe('parseXsiEvent: rejections', () => {
  const released = loadEvent('incoming-answered-3-released');

  it.each<[string, string, RegExp]>([
    ['empty string', '', /^empty body$/],
    ['whitespace only', ' \n\t ', /^empty body$/],
    ['JSON text', JSON.stringify({ eventID: 'x', eventType: 'CallReceivedEvent' }), /^invalid XML/],
    ['plain text', 'hello', /^invalid XML/],
    ['broken XML', released.replace('</xsi:callId>', '</xsi:callID>'), /^invalid XML/],
    ['truncated XML', released.slice(0, released.length / 2), /^invalid XML/],
    ['unescaped ampersand', released.replace('Petrova &amp; Co', 'Petrova & Co'), /^invalid XML/],
    ['not an Event root', '<foo/>', /^root element is not a single Event$/],
    ['another root with Event inside', `<wrapper>${released.replace(/<\?xml[^>]*>/, '')}</wrapper>`, /not a single Event/],
    ['two Event roots', `${released}${released.replace(/<\?xml[^>]*>/, '')}`, /^invalid XML|not a single Event/],
    ['Event and another root', `${released}<extra/>`, /not a single Event/],
    ['empty Event', '<Event/>', /^missing eventID$/],
    ['missing eventID', released.replace(/<xsi:eventID>[^<]*<\/xsi:eventID>/, ''), /^missing eventID$/],
    ['empty eventID', released.replace(/<xsi:eventID>[^<]*</, '<xsi:eventID><'), /^missing eventID$/],
    ['repeated eventID', released.replace('<xsi:sequenceNumber>', '<xsi:eventID>x</xsi:eventID><xsi:sequenceNumber>'), /^missing eventID$/],
    ['billion laughs', BILLION_LAUGHS, /DOCTYPE/],
    ['external entity', EXTERNAL_ENTITY, /DOCTYPE/],
    ['bare DOCTYPE', released.replace('?>', '?><!DOCTYPE Event>'), /DOCTYPE/],
    ['lower-case doctype', released.replace('?>', '?><!doctype Event>'), /DOCTYPE/],
    ['ENTITY inside an element', released.replace('<xsi:call>', '<xsi:call><!ENTITY x "y">'), /DOCTYPE/],
    ['prototype-polluting tag', '<__proto__><eventID>1</eventID></__proto__>', /./],
    ['prototype-polluting child', released.replace('<xsi:call>', '<xsi:call><xsi:constructor>1</xsi:constructor>'), /./],
  ])('%s', (_name, body, error) => {
    expect(errorOf(body)).toMatch(error);
  });

  it('errors are short and never quote the body', () => {
    const secret = 'hook-token';
    const bodies = [released.replace('</xsi:httpContact>', ''), released.replace('</xsi:uri>', `</xsi:${secret}${'x'.repeat(5000)}>`), `<${secret}${'x'.repeat(100_000)}>`, BILLION_LAUGHS];
    for (const body of bodies) {
      const error = errorOf(body);
      expect(error.length).toBeLessThanOrEqual(200);
      expect(error).not.toContain('https://');
      expect(error).not.toContain('\n');
    }
  });

  it('never throws, even for values that are not strings at run time', () => {
    for (const value of [undefined, null, 42, {}, [], Buffer.from('<a/>')]) {
      expect(parseXsiEvent(value as unknown as string)).toStrictEqual({ ok: false, error: 'body is not a string' });
    }
  });

  it('never throws on mangled fixtures', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pieces = ['<', '>', '/', '&', ';', '"', '<!--', ']]>', '<![CDATA[', 'xsi:', '\u0000', '\ud800', '&amp', '='];
    const names = eventNames();
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const base = loadEvent(names[i % names.length] ?? 'hook-status');
      const at = random(base.length);
      const mangled = i % 3 === 0 ? base.slice(0, at) : i % 3 === 1 ? base.slice(0, at) + base.slice(at + 1 + random(20)) : base.slice(0, at) + (pieces[random(pieces.length)] ?? '') + base.slice(at);
      const result = parseXsiEvent(mangled);
      expect(typeof result.ok).toBe('boolean');
      if (result.ok) {
        accepted++;
        expect(() => xsiEventSchema.parse(result.event)).not.toThrow();
      } else {
        expect(result.error.length).toBeLessThanOrEqual(200);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('handles deep nesting and big bodies without throwing', () => {
    expect(parseXsiEvent(`${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`).ok).toBe(false);
    const big = released.replace('Petrova &amp; Co', 'x'.repeat(1_000_000));
    // A field over its bound is refused with the field's name, never kept or queued.
    expect(parseXsiEvent(big)).toMatchObject({ ok: false, error: expect.stringContaining('remoteParty.name') });
    expect(parseXsiEvent(released.replace('Petrova &amp; Co', 'x'.repeat(512))).ok).toBe(true);
  });

  it.each([
    ['eventID', (body: string) => body.replace(/<xsi:eventID>[^<]*</, `<xsi:eventID>${'e'.repeat(129)}<`), 'envelope.eventId'],
    ['callId', (body: string) => body.replace(/<xsi:callId>[^<]*</, `<xsi:callId>${'c'.repeat(129)}<`), 'call.callId'],
    ['extTrackingId', (body: string) => body.replace(/<xsi:extTrackingId>[^<]*</, `<xsi:extTrackingId>${'x'.repeat(129)}<`), 'call.extTrackingId'],
    ['subscriptionId', (body: string) => body.replace(/<xsi:subscriptionId>[^<]*</, `<xsi:subscriptionId>${'s'.repeat(129)}<`), 'envelope.subscriptionId'],
    ['targetId', (body: string) => body.replace(/<xsi:targetId>[^<]*</, `<xsi:targetId>${'t'.repeat(513)}<`), 'envelope.targetId'],
    ['startTime', (body: string) => body.replace(/<xsi:startTime>[^<]*</, '<xsi:startTime>9007199254740991<'), 'call.startTime'],
  ])('an oversized %s is refused with the field named', (_field, mangle, path) => {
    const result = parseXsiEvent(mangle(released));
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining(path) });
  });
});

describe('xsiEventSchema', () => {
  it.each(eventNames())('%s round-trips through JSON', (name) => {
    const event = parsed(name);
    expect(xsiEventSchema.parse(JSON.parse(JSON.stringify(event)))).toStrictEqual(event);
  });

  it('is strict about types', () => {
    const json = JSON.parse(JSON.stringify(ANSWERED_RELEASED));
    expect(xsiEventSchema.safeParse({ ...json, envelope: { ...json.envelope, sequenceNumber: '19' } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, envelope: { ...json.envelope, eventId: '' } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, call: { ...json.call, startTime: '1800000000000' } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, call: { ...json.call, startTime: 1.5 } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, call: { ...json.call, recorded: 'true' } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, call: { ...json.call, redirections: undefined } }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, type: 'HookStatusEvent' }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, kind: 'other' }).success).toBe(false);
    expect(xsiEventSchema.safeParse({ ...json, call: undefined }).success).toBe(false);
    expect(xsiEventSchema.safeParse(null).success).toBe(false);
  });

  it('strips unknown keys instead of failing', () => {
    const json = JSON.parse(JSON.stringify(ANSWERED_RELEASED));
    const withExtras = { ...json, extra: 1, call: { ...json.call, futureField: 'x' } };
    expect(xsiEventSchema.parse(withExtras)).toStrictEqual(ANSWERED_RELEASED);
  });
});

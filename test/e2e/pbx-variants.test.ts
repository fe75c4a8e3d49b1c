/**
 * The product is right under every way the PBX may write the other side's number
 * (`remoteAddress` of the simulator: `tel:` or `sip:` in `address`, or only `userDN`), for an
 * answered incoming call and an outgoing one, with the defaults for everything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxSimulator } from '../../local/pbx-sim/index';
import { eventually, startTestStack, type TestStack } from '../support/harness';

let stack: TestStack;
let sim: PbxSimulator;
beforeAll(async () => {
  stack = await startTestStack();
  sim = stack.simulator!;
});
afterAll(() => stack?.stop());

describe.each(['tel', 'sip', 'userDN'] as const)('a PBX writing numbers as %s', (remoteAddress) => {
  const token = `numbers-${remoteAddress}`;
  const project = `numbers-${remoteAddress}`;
  const employee = '9000000081';

  beforeAll(async () => {
    sim.addPbx({ token, abonents: [{ phone: employee }], behaviour: { remoteAddress } });
    expect((await stack.api('PUT', `/projects/${project}/beeline`, { apiToken: token })).status).toBe(200);
    expect((await stack.api('PUT', `/projects/${project}/employees/e`, { callMethod: 'beeline_api', beelineNumber: employee })).status).toBe(200);
    await eventually(async () => ((await stack.api('GET', `/projects/${project}/employees/e`)).body.subscription.status === 'active' ? true : undefined));
  });

  it.each([
    ['incoming', 'Incoming', '+7 916 555-06-01', '79165550601'],
    ['outgoing', 'Outgoing', '8 916 555-06-02', '79165550602'],
  ] as const)('an answered %s call has the client as client', async (direction, expectedDirection, dialled, canonical) => {
    const ext = sim.playCall({ token, direction, client: dialled, legs: [{ abonent: employee, answer: true, talkMs: 100 }] });
    const view = await sim.waitForCall(ext);
    const first = view.events[0]!.xml;
    if (remoteAddress === 'userDN') expect(first).not.toContain('<xsi:address ');
    else expect(first).toContain(remoteAddress === 'sip' ? '>sip:+7' : '>tel:+7');
    const call = await eventually(async () => {
      const { body } = await stack.api('GET', `/projects/${project}/calls/${ext}`);
      return body?.outcome && body.outcome !== 'in_progress' ? body : undefined;
    });
    expect(call).toMatchObject({ direction: expectedDirection, outcome: 'answered', clientPhone: canonical, operatorPhone: employee });
  });
});

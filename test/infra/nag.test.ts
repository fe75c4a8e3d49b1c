import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addTelephonyStack } from '../../lib/app.js';
import { build, CDK_JSON_CONTEXT, type Json } from './support.js';

/** Every acknowledgement recorded in the tree: where, which rule, why. */
function acknowledgements(root: IConstruct): { path: string; rule: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({ path: c.node.path, rule: rule.replace(/^annotation::/i, ''), reason }))),
    );
}

/** The AwsSolutions findings as if nothing were acknowledged. */
function rawFindings(app: App): PolicyValidationPluginReport {
  const pack = new AwsSolutionsChecks();
  // cdk-nag consults the acknowledgements through this (private) method; off, it reports everything.
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app);
}

const summary = (report: PolicyValidationPluginReport) => report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} @ ${r.constructPath}`));

describe('cdk-nag AwsSolutions (v3: a policy-validation plugin)', () => {
  for (const [name, context] of [
    ['defaults (dev)', {}],
    [
      'prod with alarm e-mail, custom domain, other intervals',
      { stage: 'prod', alarmEmail: 'ops@example.com', publicUrl: 'https://telephony.example.com', recoveryMinutes: 30, renewSweepMinutes: 15 },
    ],
  ] as const) {
    it(`${name}: zero unacknowledged errors and warnings; synth writes an empty validation report`, () => {
      const { app } = build(context);
      const assembly = app.synth(); // the plugin ran here too: an error would have thrown
      const report = new AwsSolutionsChecks().validateScope(app);
      expect(summary(report)).toEqual([]);
      expect(report.success).toBe(true);
      const reportFile = join(assembly.directory, 'validation-report.json');
      expect(existsSync(reportFile)).toBe(true);
      const written = JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports: unknown[] };
      expect(written.pluginReports).toEqual([]); // nothing reported by any plugin (cdk-nag, CloudFormation rules)
    });
  }

  it('is registered by addTelephonyStack, so `cdk synth` fails on an unacknowledged finding', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = addTelephonyStack(app);
    new Queue(stack, 'PlainQueue', { encryption: undefined, enforceSSL: false }); // no TLS-only policy, no DLQ
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  describe('acknowledgements', () => {
    const { app, stack } = build();
    const acks = acknowledgements(app);
    const raw = rawFindings(app);
    const findings = raw.violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath! })));

    it('are exactly these, each on the construct it concerns', () => {
      const where = (path: string) => path.replace(`${stack.node.path}/`, '');
      expect(acks.map((a) => `${a.rule} @ ${where(a.path)}`).sort()).toEqual([
        'AwsSolutions-APIG4 @ HttpApi/DefaultRoute',
        'AwsSolutions-APIG4 @ HttpApi/GET--console',
        'AwsSolutions-APIG4 @ HttpApi/GET--console--{asset}',
        'AwsSolutions-APIG4 @ HttpApi/POST--projects--{projectId}--beeline--call',
        'AwsSolutions-APIG4 @ HttpApi/POST--webhooks--beeline--{projectId}--{secret}',
        'AwsSolutions-IAM5[Resource::*] @ ApiRole',
        'AwsSolutions-IAM5[Resource::*] @ CallbackRole',
        'AwsSolutions-IAM5[Resource::*] @ ConsoleRole',
        'AwsSolutions-IAM5[Resource::*] @ DeliveryRole',
        'AwsSolutions-IAM5[Resource::*] @ IngestRole',
        'AwsSolutions-IAM5[Resource::*] @ ProcessorRole',
        'AwsSolutions-IAM5[Resource::*] @ RelayRole',
        'AwsSolutions-IAM5[Resource::*] @ SubscriptionRole',
        'AwsSolutions-IAM5[Resource::*] @ SweeperRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ ApiRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ CallbackRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ DeliveryRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ IngestRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ ProcessorRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ RelayRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ SubscriptionRole',
        'AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*] @ SweeperRole',
        'AwsSolutions-L1 @ Api',
        'AwsSolutions-L1 @ Callback',
        'AwsSolutions-L1 @ Console',
        'AwsSolutions-L1 @ Delivery',
        'AwsSolutions-L1 @ Ingest',
        'AwsSolutions-L1 @ Processor',
        'AwsSolutions-L1 @ Relay',
        'AwsSolutions-L1 @ Subscription',
        'AwsSolutions-L1 @ Sweeper',
        'AwsSolutions-SMG4 @ AdminToken',
        'AwsSolutions-SMG4 @ WebhookKey',
        'AwsSolutions-SQS3 @ SubscriptionStreamDlq',
      ]);
    });

    it('none is blanket: none on the app or the stack, IAM findings acknowledged per finding (v3 form of appliesTo)', () => {
      for (const a of acks) {
        expect(a.path, a.rule).not.toBe(stack.node.path);
        expect(a.path, a.rule).not.toBe('');
        if (/^AwsSolutions-IAM[45]/.test(a.rule)) expect(a.rule).toMatch(/^AwsSolutions-IAM[45]\[(Resource|Action|Policy)::.+\]$/);
      }
    });

    it('none is stale: each silences a finding the checks really report on that construct', () => {
      for (const a of acks) {
        const silenced = findings.filter((f) => f.rule === a.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
        expect(silenced.length, `${a.rule} @ ${a.path}`).toBeGreaterThan(0);
      }
      // …and together they cover every raw finding (what "zero unacknowledged" means).
      for (const f of findings) {
        expect(
          acks.some((a) => a.rule === f.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
          `${f.rule} @ ${f.path}`,
        ).toBe(true);
      }
    });

    it('each carries a specific reason', () => {
      for (const a of acks) {
        expect(a.reason.length, `${a.rule} @ ${a.path}`).toBeGreaterThanOrEqual(100);
      }
      const reasonOf = (rule: string) => acks.find((a) => a.rule === rule)!.reason;
      expect(reasonOf('AwsSolutions-IAM5[Resource::*]')).toMatch(/xray:PutTraceSegments.*dynamodb:ListStreams/s);
      expect(reasonOf('AwsSolutions-L1')).toContain('nodejs22.x');
      const routeReason = (pathEnd: string) => acks.find((a) => a.rule === 'AwsSolutions-APIG4' && a.path.endsWith(pathEnd))!.reason;
      expect(routeReason('POST--webhooks--beeline--{projectId}--{secret}')).toMatch(/per-project secret.*constant time/s);
      expect(routeReason('POST--projects--{projectId}--beeline--call')).toMatch(/bearer token.*constant time/s);
      expect(routeReason('DefaultRoute')).toMatch(/bearer token.*constant time.*signature/s);
    });

    it('land in the template Metadata (cdk_nag.rules_to_suppress) for audit', () => {
      const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, Json> };
      const withMetadata = Object.values(template.Resources).filter((r) => r.Metadata?.cdk_nag !== undefined);
      expect(withMetadata.length).toBeGreaterThan(0);
      for (const r of withMetadata) {
        for (const rule of r.Metadata.cdk_nag.rules_to_suppress as { id: string; reason: string }[]) expect(rule.reason.length).toBeGreaterThanOrEqual(100);
      }
    });
  });
});

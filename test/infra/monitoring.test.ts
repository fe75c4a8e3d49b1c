import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { METRIC, METRICS_NAMESPACE, STAGE_ENV } from '../../functions/commons/contracts/metrics.js';
import { createMetrics } from '../../functions/commons/adapters/metrics.js';
import { PROJECT_ROOT } from '../../lib/function.js';
import { ALARM_SUFFIXES, type AlarmKey, CALL_FAILURES_THRESHOLD, WEBHOOK_REFUSALS_THRESHOLD, FUNCTION_KEYS, type FunctionKey, METRIC_EMITTERS, SERVICE_NAMES } from '../../lib/monitoring.js';
import { arnOf, build, CDK_JSON_CONTEXT, type Json, logicalId, ofType, ref } from './support.js';

/** One metric an alarm or a graph reads, normalised from either alarm form (single metric or metric math). */
interface MetricStat {
  namespace: string;
  metricName: string;
  dimensions: Record<string, unknown>;
  stat: string;
  period: number;
}

function alarmMetrics(p: Json): { expression?: string; stats: MetricStat[] } {
  const dims = (list: Json[] | undefined) => Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
  if (p.Metrics === undefined) {
    return { stats: [{ namespace: p.Namespace, metricName: p.MetricName, dimensions: dims(p.Dimensions), stat: p.Statistic ?? p.ExtendedStatistic, period: p.Period }] };
  }
  const metrics = p.Metrics as Json[];
  const expression = metrics.find((m) => m.Expression !== undefined);
  const stats = metrics
    .filter((m) => m.MetricStat !== undefined)
    .map((m) => ({
      namespace: m.MetricStat.Metric.Namespace,
      metricName: m.MetricStat.Metric.MetricName,
      dimensions: dims(m.MetricStat.Metric.Dimensions),
      stat: m.MetricStat.Stat,
      period: m.MetricStat.Period,
    }));
  expect(metrics.filter((m) => m.ReturnData !== false)).toHaveLength(1); // one time series is alarmed on
  return { ...(expression !== undefined && { expression: expression.Expression as string }), stats };
}

describe('monitoring: alarms, topic, dashboard', () => {
  const { stack, template, resources } = build();
  const id = (c: Parameters<typeof logicalId>[1]) => logicalId(stack, c);
  const fnIds: Record<FunctionKey, string> = {
    ingest: id(stack.ingestFunction),
    processor: id(stack.processorFunction),
    api: id(stack.apiFunction),
    subscription: id(stack.subscriptionFunction),
    sweeper: id(stack.sweeperFunction),
    callback: id(stack.callbackFunction),
    console: id(stack.consoleFunction),
    relay: id(stack.relayFunction),
    delivery: id(stack.deliveryFunction),
  };
  const topicId = id(stack.monitoring.alarmTopic);
  const keyId = id(stack.monitoring.alarmTopicKey);
  const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
  const alarmByKey = (key: AlarmKey) => {
    const found = alarms.filter(([, r]) => r.Properties.AlarmName === `beeline-telephony-dev-${ALARM_SUFFIXES[key]}`);
    expect(found, key).toHaveLength(1);
    return found[0]![1].Properties as Json;
  };
  const queueName = (queueId: string) => ({ 'Fn::GetAtt': [queueId, 'QueueName'] });
  const emf = (metricName: string, service: string, stat: string, period: number): MetricStat => ({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensions: { service, stage: 'dev' },
    stat,
    period,
  });

  /** What each alarm watches: metric(s), statistic, period, threshold, and why missing data is what it is. */
  const expected: Record<AlarmKey, { stats: MetricStat[]; threshold: number; expression?: RegExp }> = {
    eventsDlqNotEmpty: {
      stats: [{ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queueName(id(stack.deadLetterQueue)) }, stat: 'Maximum', period: 300 }],
      threshold: 0,
    },
    subscriptionStreamDlqNotEmpty: {
      stats: [{ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queueName(id(stack.subscriptionStreamDlq)) }, stat: 'Maximum', period: 300 }],
      threshold: 0,
    },
    processorErrors: {
      stats: [{ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: ref(fnIds.processor) }, stat: 'Sum', period: 300 }],
      threshold: 0,
    },
    sweeperErrors: {
      // max(15 min, 2 × renewSweepMinutes): a period always holds a renew run.
      stats: [{ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: ref(fnIds.sweeper) }, stat: 'Sum', period: 900 }],
      threshold: 0,
    },
    functionThrottles: {
      stats: FUNCTION_KEYS.map((k) => ({ namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: ref(fnIds[k]) }, stat: 'Sum', period: 300 })),
      threshold: 0,
      expression:
        /^FILL\(ingest, 0\) \+ FILL\(processor, 0\) \+ FILL\(api, 0\) \+ FILL\(subscription, 0\) \+ FILL\(sweeper, 0\) \+ FILL\(callback, 0\) \+ FILL\(relay, 0\) \+ FILL\(delivery, 0\) \+ FILL\(console, 0\)$/,
    },
    webhook5xx: {
      stats: [{ namespace: 'AWS/ApiGateway', metricName: '5xx', dimensions: { ApiId: ref(id(stack.httpApi)), Stage: '$default' }, stat: 'Sum', period: 300 }],
      threshold: 0,
    },
    subscriptionFailures: {
      stats: [emf(METRIC.subscriptionFailed, 'beeline-processor', 'Sum', 900), emf(METRIC.subscriptionFailed, 'beeline-subscription', 'Sum', 900)],
      threshold: 0,
      expression: /^FILL\(subscriptionFailed_processor, 0\) \+ FILL\(subscriptionFailed_subscription, 0\)$/,
    },
    deliveryDlqNotEmpty: {
      stats: [{ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queueName(id(stack.deliveryDlq)) }, stat: 'Maximum', period: 300 }],
      threshold: 0,
    },
    deliveryFailures: { stats: [emf(METRIC.deliveryFailed, 'beeline-delivery', 'Sum', 900)], threshold: 0 },
    beelineCallFailures: { stats: [emf(METRIC.callStartError, 'beeline-callback', 'Sum', 300)], threshold: CALL_FAILURES_THRESHOLD },
    notificationsStopped: { stats: [emf(METRIC.quietEmployees, 'beeline-sweeper', 'Maximum', 900)], threshold: 0 },
    eventsQueueAge: {
      stats: [{ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: queueName(id(stack.eventsQueue)) }, stat: 'Maximum', period: 300 }],
      threshold: 300, // 5 minutes
    },
    workQueueAge: {
      stats: [{ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: queueName(id(stack.workQueue)) }, stat: 'Maximum', period: 300 }],
      threshold: 1800, // 30 minutes: look-ups wait up to 15 minutes by design
    },
    webhooksRefused: {
      stats: [{ namespace: `${METRICS_NAMESPACE}/dev`, metricName: 'WebhookRefused', dimensions: {}, stat: 'Sum', period: 300 }],
      threshold: WEBHOOK_REFUSALS_THRESHOLD,
    },
  };

  it('has exactly the fourteen alarms, named beeline-telephony-<stage>-…', () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(ALARM_SUFFIXES).sort());
    expect(alarms.map(([, r]) => r.Properties.AlarmName).sort()).toEqual(
      Object.values(ALARM_SUFFIXES)
        .map((s) => `beeline-telephony-dev-${s}`)
        .sort(),
    );
  });

  for (const key of Object.keys(ALARM_SUFFIXES) as AlarmKey[]) {
    it(`alarm ${ALARM_SUFFIXES[key]}: metric, threshold, > comparison, missing data not breaching, ALARM and OK → the topic, a description that says what to do`, () => {
      const p = alarmByKey(key);
      const { expression, stats } = alarmMetrics(p);
      expect(stats).toEqual(expected[key].stats);
      if (expected[key].expression) expect(expression).toMatch(expected[key].expression!);
      else expect(expression).toBeUndefined();
      expect(p.Threshold).toBe(expected[key].threshold);
      expect(p.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(p.EvaluationPeriods).toBe(1);
      // Deliberate for each: no data = idle queue / no invocations / nothing attempted (see lib/monitoring.ts).
      expect(p.TreatMissingData).toBe('notBreaching');
      expect(p.AlarmActions).toEqual([ref(topicId)]);
      expect(p.OKActions).toEqual([ref(topicId)]);
      expect(p.ActionsEnabled ?? true).toBe(true);
      expect(p.AlarmDescription.length).toBeGreaterThan(150);
      expect(p.AlarmDescription.length).toBeLessThanOrEqual(1024);
    });
  }

  it('reads business metrics from METRICS_NAMESPACE with the names in METRIC (never restated)', () => {
    expect(alarmMetrics(alarmByKey('subscriptionFailures')).stats.map((s) => [s.namespace, s.metricName])).toEqual([
      ['BeelineTelephony', 'SubscriptionFailed'],
      ['BeelineTelephony', 'SubscriptionFailed'],
    ]);
    expect(alarmMetrics(alarmByKey('notificationsStopped')).stats[0]).toMatchObject({ namespace: 'BeelineTelephony', metricName: 'QuietEmployees' });
  });

  it('tells the quiet period in the notifications-stopped alarm and fits the sweep-driven periods to renewSweepMinutes', () => {
    expect(alarmByKey('notificationsStopped').AlarmDescription).toContain('more than 24 h');
    const slow = build({ renewSweepMinutes: '30', quietPeriodHours: '48' });
    const byName = (name: string) => ofType(slow.resources, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === name)![1].Properties as Json;
    expect(alarmMetrics(byName('beeline-telephony-dev-notifications-stopped')).stats[0]!.period).toBe(3600); // 2 × 30 min
    expect(alarmMetrics(byName('beeline-telephony-dev-sweeper-errors')).stats[0]!.period).toBe(3600);
    expect(byName('beeline-telephony-dev-notifications-stopped').AlarmDescription).toContain('more than 48 h');
    expect(slow.resources[logicalId(slow.stack, slow.stack.sweeperFunction)]!.Properties.Environment.Variables.QUIET_PERIOD_SECONDS).toBe(String(48 * 3600));
  });

  it("delivers through an SNS topic encrypted with a rotating KMS key CloudWatch may use, TLS only, publish allowed to this stage's alarms", () => {
    const topic = resources[topicId]!;
    expect(topic.Properties.KmsMasterKeyId).toEqual(arnOf(keyId));
    const key = resources[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' }),
    );
    const policies = ofType(resources, 'AWS::SNS::TopicPolicy').filter(([, r]) => JSON.stringify(r.Properties.Topics) === JSON.stringify([ref(topicId)]));
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: ref(topicId) }),
    );
    const allow = statements.find((s) => s.Effect === 'Allow')!;
    expect(allow).toMatchObject({ Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: ref(topicId) });
    const sourceArn = allow.Condition.ArnLike['aws:SourceArn']['Fn::Join'][1] as unknown[];
    expect(sourceArn.at(-1)).toBe(':alarm:beeline-telephony-dev-*');
    for (const [, a] of alarms) expect(a.Properties.AlarmName.startsWith('beeline-telephony-dev-')).toBe(true);
    expect(ofType(resources, 'AWS::SNS::Topic')).toHaveLength(1);
    expect(ofType(resources, 'AWS::SNS::Subscription')).toHaveLength(0); // no alarmEmail in context
  });

  it('subscribes alarmEmail to the topic', () => {
    const { stack: s, resources: r } = build({ alarmEmail: ' ops@example.com ' });
    const subs = ofType(r, 'AWS::SNS::Subscription');
    expect(subs).toHaveLength(1);
    expect(subs[0]![1].Properties).toEqual({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: ref(logicalId(s, s.monitoring.alarmTopic)) });
    expect(s.config.alarmEmail).toBe('ops@example.com');
  });

  it('exports the topic and the dashboard name', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(outputs.AlarmTopicArn.Value).toEqual(ref(topicId));
    expect(outputs.DashboardName.Value).toEqual(ref(id(stack.monitoring.dashboard)));
    expect(outputs.SubscriptionStreamDlqUrl.Value).toEqual(ref(id(stack.subscriptionStreamDlq)));
  });

  describe('dashboard', () => {
    const dashboards = ofType(resources, 'AWS::CloudWatch::Dashboard');
    /** The body with every deploy-time reference replaced by `<LogicalId>`, parsed. */
    const body = () => {
      const parts = dashboards[0]![1].Properties.DashboardBody['Fn::Join'][1] as unknown[];
      const text = parts.map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, '')}>`)).join('');
      return JSON.parse(text) as { widgets: { type: string; properties: Json }[] };
    };
    const graphs = () => body().widgets.filter((w) => w.type === 'metric');
    const metricRows = () => graphs().flatMap((w) => (w.properties.metrics ?? []) as unknown[][]);

    it('exists, named beeline-telephony-<stage>', () => {
      expect(dashboards).toHaveLength(1);
      expect(dashboards[0]![1].Properties.DashboardName).toBe('beeline-telephony-dev');
    });

    it('shows every business metric of functions/commons/contracts/metrics.ts from each function that emits it (namespace, name, service)', () => {
      const shown = new Set(
        metricRows()
          .filter((row) => row[0] === METRICS_NAMESPACE)
          .map((row) => `${row[1]} ${row[2]}=${row[3]}`),
      );
      const wanted = Object.entries(METRIC).flatMap(([key, name]) => (METRIC_EMITTERS[key as keyof typeof METRIC] as readonly FunctionKey[]).map((k) => `${name} service=${SERVICE_NAMES[k]}`));
      expect([...shown].sort()).toEqual([...new Set(wanted)].sort());
      expect(Object.values(METRIC)).toHaveLength(24);
    });

    it('has the graphs an operator needs: business, DLQ depth, queue age, Lambda errors/duration p99/throttles per function, HTTP API latency p99 and 4xx/5xx', () => {
      const titles = graphs().map((w) => w.properties.title as string);
      expect(titles).toEqual([
        'Webhooks',
        'Events',
        'Calls',
        'Clients created, calls recovered',
        'Subscriptions',
        'Record links',
        'beeline_call',
        'Sweeper',
        'DLQ depth',
        'Outbound deliveries',
        'Delivery queue',
        'Events queue',
        'Work queue (PBX work)',
        'Lambda errors',
        'Lambda duration p99 (ms)',
        'Lambda throttles',
        'HTTP API latency p99 (ms)',
        'HTTP API requests, 4xx, 5xx',
      ]);
      const rowsOf = (title: string) => (graphs().find((w) => w.properties.title === title)!.properties.metrics as unknown[][]).map((r) => r.filter((x) => typeof x === 'string'));
      const functionRefs = FUNCTION_KEYS.map((k) => `<{Ref:${fnIds[k]}}>`);
      for (const [title, metricName] of [
        ['Lambda errors', 'Errors'],
        ['Lambda duration p99 (ms)', 'Duration'],
        ['Lambda throttles', 'Throttles'],
      ] as const) {
        expect(rowsOf(title).map((r) => [r[0], r[1], r[3]])).toEqual(functionRefs.map((f) => ['AWS/Lambda', metricName, f]));
      }
      const p99 = graphs().find((w) => w.properties.title === 'Lambda duration p99 (ms)')!.properties.metrics as unknown[][];
      for (const row of p99) expect(row.at(-1)).toMatchObject({ stat: 'p99' });
      expect(rowsOf('DLQ depth').map((r) => [r[0], r[1], r[3]])).toEqual([
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', `<{Fn::GetAtt:[${id(stack.deadLetterQueue)},QueueName]}>`],
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', `<{Fn::GetAtt:[${id(stack.subscriptionStreamDlq)},QueueName]}>`],
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', `<{Fn::GetAtt:[${id(stack.deliveryDlq)},QueueName]}>`],
      ]);
      for (const title of ['Events queue', 'Work queue (PBX work)', 'Delivery queue']) {
        expect(rowsOf(title).map((r) => r[1])).toEqual(['ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesDelayed']);
      }
      expect(rowsOf('HTTP API latency p99 (ms)').map((r) => [r[0], r[1]])).toEqual([
        ['AWS/ApiGateway', 'Latency'],
        ['AWS/ApiGateway', 'IntegrationLatency'],
      ]);
      expect(rowsOf('HTTP API requests, 4xx, 5xx').map((r) => r[1])).toEqual(['Count', '4xx', '5xx']);
      const alarmWidget = body().widgets.find((w) => w.type === 'alarm')!;
      expect((alarmWidget.properties.alarms as unknown[]).length).toBe(Object.keys(ALARM_SUFFIXES).length);
    });
  });
});

describe('stages in one account', () => {
  it('with -c stage=prod, every alarm and graph reads the business metrics of stage prod only', () => {
    const { resources } = build({ stage: 'prod' });
    const alarmed = ofType(resources, 'AWS::CloudWatch::Alarm')
      .flatMap(([, r]) => alarmMetrics(r.Properties).stats)
      .filter((stat) => stat.namespace === METRICS_NAMESPACE);
    // subscription-failures (two emitters), notifications-stopped, delivery-failures
    expect(alarmed.length).toBeGreaterThanOrEqual(4);
    for (const stat of alarmed) expect(stat.dimensions).toEqual({ service: expect.stringMatching(/^beeline-/), stage: 'prod' });

    const [[, dashboard]] = ofType(resources, 'AWS::CloudWatch::Dashboard') as [[string, Json]];
    const text = (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'ref')).join('');
    const rows = (JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets.flatMap((w) => w.properties.metrics ?? []);
    const graphed = rows.filter((row) => row[0] === METRICS_NAMESPACE);
    expect(graphed.length).toBeGreaterThanOrEqual(Object.keys(METRIC).length);
    for (const row of graphed) expect(row.slice(2, 6)).toEqual(['service', expect.stringMatching(/^beeline-/), 'stage', 'prod']);
  });
});

describe('metric names and emitters', () => {
  it('every metric has its emitters (contracts/metrics.ts); a function may count only its own (a type error otherwise)', () => {
    expect(Object.keys(METRIC_EMITTERS).sort()).toEqual(Object.keys(METRIC).sort());
    for (const emitters of Object.values(METRIC_EMITTERS)) for (const k of emitters) expect(FUNCTION_KEYS).toContain(k);
    const ingest = createMetrics('ingest', {});
    ingest.count('webhookAccepted');
    // @ts-expect-error a call outcome is the processor's to count, not the ingest's
    ingest.count('callAnswered');
  });

  it("every EMF line carries the function's stage beside its service (two stages in one account never share a metric)", () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      for (const stage of ['prod', undefined]) {
        const sink = createMetrics('ingest', { [STAGE_ENV]: stage });
        sink.count('webhookAccepted');
        sink.publish();
      }
    } finally {
      write.mockRestore();
    }
    const emitted = lines
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Namespace: string }[] } });
    expect(emitted.map((line) => [line.stage, line.service, line.WebhookAccepted])).toEqual([
      ['prod', SERVICE_NAMES.ingest, 1],
      ['local', SERVICE_NAMES.ingest, 1],
    ]);
    for (const line of emitted) {
      expect(line._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
      expect(line._aws.CloudWatchMetrics[0]!.Dimensions[0]!.sort()).toEqual(['service', 'stage']);
    }
  });
});

describe('context: alarmEmail, quietPeriodHours, recoveryMinutes', () => {
  it('defaults: no e-mail, 24 h quiet period, recovery every 10 minutes', () => {
    const { stack, resources } = build();
    expect(stack.config).toMatchObject({ quietPeriodHours: 24, recoveryMinutes: 10 });
    expect(stack.config.alarmEmail).toBeUndefined();
    expect(resources[logicalId(stack, stack.recoverySchedule)]!.Properties.ScheduleExpression).toBe('rate(10 minutes)');
  });

  it('are overridable (strings as from -c)', () => {
    const { stack, resources } = build({ recoveryMinutes: '30', quietPeriodHours: '72', alarmEmail: 'alerts+telephony@ops.example.co.uk' });
    expect(resources[logicalId(stack, stack.recoverySchedule)]!.Properties.ScheduleExpression).toBe('rate(30 minutes)');
    expect(resources[logicalId(stack, stack.renewalSchedule)]!.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(resources[logicalId(stack, stack.sweeperFunction)]!.Properties.Environment.Variables.QUIET_PERIOD_SECONDS).toBe('259200');
    expect(stack.config.alarmEmail).toBe('alerts+telephony@ops.example.co.uk');
    expect(() => build({ recoveryMinutes: 120, recoveryWindowSeconds: 7500 })).not.toThrow(); // 300 + 7200
    expect(() => build({ quietPeriodHours: 720 })).not.toThrow(); // the sweeper's 30-day cap
  });

  it('rejects invalid values with a message naming the key', () => {
    for (const alarmEmail of ['ops', 'ops@', '@example.com', 'ops@example', 'ops @example.com', 'a@b.com,c@d.com', 'Ops <ops@example.com>', `${'a'.repeat(250)}@example.com`]) {
      expect(() => build({ alarmEmail }), alarmEmail).toThrow(/context "alarmEmail" must be one e-mail address/);
    }
    for (const quietPeriodHours of [0, 721, 'day', '1.5', -24]) {
      expect(() => build({ quietPeriodHours }), String(quietPeriodHours)).toThrow(/context "quietPeriodHours" must be an integer between 1 and 720/);
    }
    for (const recoveryMinutes of [4, 121, 'often', '7.5', 0]) {
      expect(() => build({ recoveryMinutes }), String(recoveryMinutes)).toThrow(/context "recoveryMinutes" must be an integer between 5 and 120/);
    }
    // The default window (7200 s) does not cover lag 300 s + a 2-hour recovery interval.
    expect(() => build({ recoveryMinutes: 120 })).toThrow(/"recoveryWindowSeconds" \(7200\) must be at least "recoveryLagSeconds" \(300\) \+ "recoveryMinutes" × 60 \(7200\)/);
  });

  it('a bad value fails `cdk synth` (bin/app.ts) with a readable message naming the key, before anything is bundled', { timeout: 60_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'beeline-cdk-bad-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'app.ts')], {
        cwd: PROJECT_ROOT,
        // What the CDK CLI hands the app for `cdk synth -c alarmEmail=ops-at-example.com`.
        env: { PATH: process.env.PATH ?? '', CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, alarmEmail: 'ops-at-example.com' }) },
        encoding: 'utf8',
        timeout: 50_000,
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('context "alarmEmail" must be one e-mail address such as ops@example.com, got "ops-at-example.com"');
      expect(result.stdout + result.stderr).not.toContain('Bundling asset');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

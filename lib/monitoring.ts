import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, AlarmStatusWidget, ComparisonOperator, Dashboard, GraphWidget, type IMetric, MathExpression, Metric, Stats, TextWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_KEYS, type FunctionKey, SERVICE_NAMES } from '../functions/commons/contracts/functions.js';
import { METRIC, METRIC_EMITTERS, type MetricKey, type MetricName, METRICS_NAMESPACE, STAGE_DIMENSION } from '../functions/commons/contracts/metrics.js';

export { FUNCTION_KEYS, type FunctionKey, SERVICE_NAMES } from '../functions/commons/contracts/functions.js';
export { METRIC_EMITTERS } from '../functions/commons/contracts/metrics.js';

/** Alarms of the stack, by key; each is named `beeline-telephony-<stage>-<ALARM_SUFFIXES[key]>`. */
export const ALARM_SUFFIXES = {
  eventsDlqNotEmpty: 'events-dlq-not-empty',
  subscriptionStreamDlqNotEmpty: 'subscription-stream-dlq-not-empty',
  processorErrors: 'processor-errors',
  sweeperErrors: 'sweeper-errors',
  functionThrottles: 'function-throttles',
  webhook5xx: 'http-api-5xx',
  subscriptionFailures: 'subscription-failures',
  notificationsStopped: 'notifications-stopped',
  eventsQueueAge: 'events-queue-age',
  workQueueAge: 'work-queue-age',
  webhooksRefused: 'webhooks-refused',
  deliveryFailures: 'delivery-failures',
  beelineCallFailures: 'beeline-call-failures',
  deliveryDlqNotEmpty: 'delivery-dlq-not-empty',
} as const;
export type AlarmKey = keyof typeof ALARM_SUFFIXES;

/** Events waiting longer than this in the events queue raise the queue-age alarm. */
export const QUEUE_AGE_THRESHOLD = Duration.minutes(5);
/** PBX work waiting longer than this raises the work-queue-age alarm (look-ups wait up to 15 min by design). */
export const WORK_QUEUE_AGE_THRESHOLD = Duration.minutes(30);

export function alarmNamePrefix(stage: string): string {
  return `beeline-telephony-${stage}-`;
}

export interface TelephonyMonitoringProps {
  readonly stage: string;
  /** Subscribed to the alarm topic by e-mail when given. */
  readonly alarmEmail?: string;
  /** The sweeper's `renew` interval: the period of the alarms on its output. */
  readonly renewSweepMinutes: number;
  /** Shown in the "notifications stopped" alarm's description. */
  readonly quietPeriodHours: number;
  readonly functions: Readonly<Record<FunctionKey, IFunction>>;
  readonly eventsQueue: IQueue;
  readonly workQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly subscriptionStreamDlq: IQueue;
  readonly deliveryQueue: IQueue;
  readonly deliveryDlq: IQueue;
  readonly httpStage: IHttpStage;
  /** Webhook requests refused at the gateway or by the ingest function (4xx, 429 throttles). */
  readonly webhookRefusals: IMetric;
}

/** More refused webhooks than this in 5 minutes raise the webhooks-refused alarm. */
export const WEBHOOK_REFUSALS_THRESHOLD = 20;
/** More beeline_call failures of the PBX or this product than this in 5 minutes raise beeline-call-failures (one timeout is no page). */
export const CALL_FAILURES_THRESHOLD = 3;

/**
 * Alarms, their SNS topic and the dashboard of the telephony stack.
 *
 * Business metrics are the EMF metrics the functions emit through Powertools (namespace
 * METRICS_NAMESPACE, dimensions `service` and `stage` (this stage's only), names from METRIC in functions/commons/contracts/metrics.ts);
 * the rest are the AWS/Lambda, AWS/SQS and AWS/ApiGateway metrics of the stack's resources.
 * Every alarm notifies the topic on ALARM and on OK.
 */
export class TelephonyMonitoring extends Construct {
  public readonly alarmTopic: Topic;
  /** Encrypts the alarm topic; CloudWatch may use it to publish (see below). */
  public readonly alarmTopicKey: Key;
  public readonly alarms: Readonly<Record<AlarmKey, Alarm>>;
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: TelephonyMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = alarmNamePrefix(props.stage);
    const fn = props.functions;

    // ---- Topic ---------------------------------------------------------------------------------
    // A customer managed key, not the AWS managed alias/aws/sns: CloudWatch alarms can publish to an
    // encrypted topic only if the key policy lets cloudwatch.amazonaws.com use the key, and the
    // policy of an AWS managed key cannot be changed (alarms would deploy and notify nobody).
    this.alarmTopicKey = new Key(this, 'AlarmTopicKey', {
      description: `Beeline telephony (${props.stage}): alarm topic encryption`,
      enableKeyRotation: true,
      // Protects alarm notifications in transit through SNS only: nothing stored needs it after the
      // stack is gone, so it is scheduled for deletion with the stack (7 days' grace).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alarmTopicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy: this key
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Beeline telephony (${props.stage}) alarms`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // The topic policy (made for enforceSSL) replaces SNS's default one: let this stack's alarms publish.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAlarmsOfThisStageToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);

    // ---- Metrics -------------------------------------------------------------------------------
    const emf = (name: MetricName, service: string, statistic: string, period: Duration) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service, [STAGE_DIMENSION]: props.stage }, statistic, period });
    /** A business metric over every function that emits it (summed when several do). */
    const business = (key: MetricKey, label: string, period = Duration.minutes(5), statistic: string = Stats.SUM): IMetric => {
      const emitters = METRIC_EMITTERS[key];
      if (emitters.length === 1) return emf(METRIC[key], SERVICE_NAMES[emitters[0]!], statistic, period).with({ label });
      return new MathExpression({
        // Ids unique per graph: several such sums share a widget.
        expression: emitters.map((k) => `FILL(${key}_${k}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(emitters.map((k) => [`${key}_${k}`, emf(METRIC[key], SERVICE_NAMES[k], statistic, period)])),
        label,
        period,
      });
    };
    /** Sweep-driven metrics: a period that holds at least one renew run (they run every renewSweepMinutes). */
    const sweepPeriod = Duration.minutes(Math.max(15, 2 * props.renewSweepMinutes));

    // ---- Alarms --------------------------------------------------------------------------------
    const alarm = (key: AlarmKey, metric: IMetric, options: { threshold: number; description: string; treatMissingData: TreatMissingData; evaluationPeriods?: number }) => {
      const created = new Alarm(this, `${key[0]!.toUpperCase()}${key.slice(1)}Alarm`, {
        alarmName: `${prefix}${ALARM_SUFFIXES[key]}`,
        alarmDescription: options.description,
        metric,
        threshold: options.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        treatMissingData: options.treatMissingData,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    const dlqDepth = (queue: IQueue) => queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: Duration.minutes(5) });
    const throttles = new MathExpression({
      expression: FUNCTION_KEYS.map((k) => `FILL(${k}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(FUNCTION_KEYS.map((k) => [k, fn[k].metricThrottles({ statistic: Stats.SUM, period: Duration.minutes(5) })])),
      label: 'Throttles (all functions)',
      period: Duration.minutes(5),
    });

    this.alarms = {
      eventsDlqNotEmpty: alarm('eventsDlqNotEmpty', dlqDepth(props.deadLetterQueue), {
        threshold: 0,
        // An idle, empty DLQ publishes no data: that is the healthy case.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'PBX events failed processing 5 times and were parked in the events DLQ (kept 14 days): their calls/clients are NOT updated. ' +
          'Find the cause in the processor logs (CloudWatch Logs Insights, service beeline-processor, level ERROR), fix it, then re-drive: ' +
          '`npm run dlq -- list --dlq-url <DeadLetterQueueUrl>` and `npm run dlq -- redrive --dlq-arn <DeadLetterQueueArn>` (README, Deploy).',
      }),
      subscriptionStreamDlqNotEmpty: alarm('subscriptionStreamDlqNotEmpty', dlqDepth(props.subscriptionStreamDlq), {
        threshold: 0,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'Table stream records failed after all retries; the DLQ holds their stream coordinates (not the items). From the subscription ' +
          'function: those employees may not be (un)subscribed at the PBX: check its logs, fix the cause, re-save the affected employees ' +
          '(PUT /projects/{id}/employees/{employeeId}). From the relay: those outbound events were not delivered nor put on the bus ' +
          "(they are in the projects' feeds, GET /projects/{id}/events): check its logs. Then purge the messages.",
      }),
      processorErrors: alarm('processorErrors', fn.processor.metricErrors({ statistic: Stats.SUM, period: Duration.minutes(5) }), {
        threshold: 0,
        // No invocations, no data: nothing failed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The processor function failed whole invocations (crash, timeout, out of memory) in the last 5 minutes; failed events are ' +
          'retried and go to the DLQ after 5 receives. Check its logs and X-Ray traces; a PBX or DynamoDB outage shows here first.',
      }),
      sweeperErrors: alarm('sweeperErrors', fn.sweeper.metricErrors({ statistic: Stats.SUM, period: sweepPeriod }), {
        threshold: 0,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The scheduled sweeper failed: PBX subscriptions may not be renewed (they lapse and the PBX stops sending calls), lost calls ' +
          'are not recovered and the quiet-employee check does not run. Check the sweeper logs (service beeline-sweeper).',
      }),
      functionThrottles: alarm('functionThrottles', throttles, {
        threshold: 0,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'Lambda throttled a function of this stack (account or function concurrency limit). Webhooks may get 429/5xx and events wait ' +
          'in the queue. Check the per-function throttles on the dashboard and the account concurrency quota; raise it or find the burst.',
      }),
      webhook5xx: alarm('webhook5xx', props.httpStage.metricServerError({ statistic: Stats.SUM, period: Duration.minutes(5) }), {
        threshold: 0,
        // No requests, no data: nothing failed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The HTTP API answered 5xx: on the webhook route the PBX may drop call events (ingest answers 503 when the queue is ' +
          'unavailable), on the platform API a function failed or the PBX was unreachable (502). Find the route in the access logs ' +
          "(Logs Insights on HttpApiAccessLogs: filter status >= 500 | stats count() by routeKey) and check that function's logs.",
      }),
      webhooksRefused: alarm('webhooksRefused', props.webhookRefusals, {
        threshold: WEBHOOK_REFUSALS_THRESHOLD,
        // Counted from the access logs only when a webhook is refused: no data is the healthy case.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `More than ${WEBHOOK_REFUSALS_THRESHOLD} PBX webhooks were refused in 5 minutes (4xx, or 429 when the webhook route's throttling ` +
          'was reached): a refused delivery is a call event lost, unless recovery finds the call later. In Logs Insights on ' +
          'HttpApiAccessLogs: filter routeKey like "/webhooks/" and status >= 400 | stats count() by status. 429: raise ' +
          "webhookThrottleRateLimit/BurstLimit; 403: a project's webhook secret was rotated more than an hour ago and an employee is " +
          'still subscribed with the old URL (save the employee again), or someone is guessing secrets; 400/413: the PBX sent ' +
          "something this product cannot read (see the ingest function's logs).",
      }),
      subscriptionFailures: alarm('subscriptionFailures', business('subscriptionFailed', 'Subscription failures', Duration.minutes(15)), {
        threshold: 0,
        // Emitted only when a (re)subscription is attempted: no data is the normal case.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The PBX refused or did not answer a webhook (re)subscription in the last 15 minutes (retried with back-off). Affected ' +
          'employees get no call events. Check the processor/subscription logs for the PBX answer: an invalid or revoked API token ' +
          '(PUT /projects/{id}/beeline with a valid one), an unknown abonent number, or a PBX outage.',
      }),
      notificationsStopped: alarm('notificationsStopped', business('quietEmployees', 'Quiet employees', sweepPeriod, Stats.MAXIMUM), {
        threshold: 0,
        // The sweeper reports on every renew run (0 when all is well); no data means it did not run,
        // which the sweeper-errors alarm covers, or that the stack was just deployed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `Subscribed employees have had no PBX event for more than ${props.quietPeriodHours} h (context quietPeriodHours): the PBX may have ` +
          'stopped sending webhooks (subscription lost at the PBX, webhook URL changed, PBX-side problem), or they simply had no calls. ' +
          'The sweeper logs each quiet employee (warn, with projectId/employeeId); re-save the employee to subscribe again and make a test call.',
      }),
      deliveryFailures: alarm('deliveryFailures', business('deliveryFailed', 'Deliveries given up', Duration.minutes(15)), {
        threshold: 0,
        // Emitted only when a delivery gives up: no data is the normal case.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          "An outbound event could not be delivered to a project's receiver for 24 h and was given up (it stays in the project's feed, " +
          'GET /projects/{id}/events, for 30 days). The delivery function logs each (warn "delivery gave up", with projectId and the ' +
          "last error); GET /projects/{id}/delivery shows the project's recent deliveries. Tell the project's owner: their receiver " +
          'is down, refuses the signature (secret rotated?) or its URL is wrong.',
      }),
      beelineCallFailures: alarm('beelineCallFailures', business('callStartError', 'beeline_call failures (PBX or service)'), {
        threshold: CALL_FAILURES_THRESHOLD,
        // Counted only when a call fails for a reason not the bot's: no data is the normal case.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `More than ${CALL_FAILURES_THRESHOLD} beeline_call starts failed in 5 minutes for a reason that is not the bot's: the PBX refused ` +
          '(pbx_refused: often a revoked or expired API token, then every call of that project fails), could not be reached or did not ' +
          'answer in time (pbx_unreachable, pbx_timeout: the call may still ring), answered something unreadable, or this product ' +
          'failed (temporarily_unavailable, internal_error). The callback function logs each attempt with projectId and code ' +
          '(service beeline-callback): in Logs Insights, filter outcome = "failed" | stats count() by failure, projectId.',
      }),
      deliveryDlqNotEmpty: alarm('deliveryDlqNotEmpty', dlqDepth(props.deliveryDlq), {
        threshold: 0,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'Delivery jobs failed in the delivery function 5 times (a crash or a DynamoDB/SQS error, not a failing receiver: those are ' +
          'retried for 24 h by the function itself) and were parked in the delivery DLQ (kept 14 days). Their events are still in the ' +
          "projects' feeds. Check the delivery function logs (service beeline-delivery, level ERROR), fix the cause, then move the " +
          'messages back with `npm run dlq -- redrive --dlq-arn <DeliveryDeadLetterQueueArn>` (deliveries are idempotent per event).',
      }),
      eventsQueueAge: alarm('eventsQueueAge', props.eventsQueue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: Duration.minutes(5) }), {
        threshold: QUEUE_AGE_THRESHOLD.toSeconds(),
        // An idle queue publishes no data.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An event has waited more than 5 minutes in the events queue: the processor is failing and retrying (see processor errors, ' +
          'the PBX and DynamoDB), throttled, or cannot keep up. Calls reach the dialogs late; after 5 receives events go to the DLQ.',
      }),
      workQueueAge: alarm('workQueueAge', props.workQueue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period: Duration.minutes(5) }), {
        threshold: WORK_QUEUE_AGE_THRESHOLD.toSeconds(),
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'PBX work (recovery, recording look-ups, re-subscriptions) has waited more than 30 minutes in the work queue: the PBX is slow ' +
          'or failing (see processor errors and the PBX), or the work is more than its bounded concurrency can do. Live call events ' +
          'are not affected (their own queue); recording links and recovered calls come late.',
      }),
    };

    // ---- Dashboard -----------------------------------------------------------------------------
    const graph = (title: string, left: IMetric[], width = 8, right?: IMetric[]) =>
      new GraphWidget({ title, left, ...(right !== undefined && { right }), width, height: 6, period: Duration.minutes(5) });
    const perFunction = (metric: (f: IFunction) => Metric) => FUNCTION_KEYS.map((k) => metric(fn[k]).with({ label: k }));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `beeline-telephony-${props.stage}`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Beeline telephony (${props.stage})\nBusiness metrics: namespace \`${METRICS_NAMESPACE}\`, dimension \`service\`. Alarms notify the SNS topic; README "Deploy" says what each means.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 3 }));
    this.dashboard.addWidgets(
      graph('Webhooks', [business('webhookAccepted', 'accepted'), business('webhookRejected', 'rejected'), business('webhookNotQueued', 'not queued (503)')]),
      graph('Events', [business('eventProcessed', 'processed'), business('eventDuplicate', 'duplicate'), business('eventForeign', 'foreign (not our subscription)')]),
      graph('Calls', [business('callAnswered', 'answered'), business('callMissed', 'missed'), business('callWithoutClient', 'without client')]),
    );
    this.dashboard.addWidgets(
      graph('Clients created, calls recovered', [business('clientCreated', 'clients created'), business('callsRecovered', 'calls recovered')]),
      graph('Subscriptions', [business('subscriptionActive', 'active'), business('subscriptionFailed', 'failed'), business('subscriptionTerminated', 'terminated by the PBX')]),
      graph('Record links', [business('recordLinkFound', 'found'), business('recordGaveUp', 'gave up')]),
    );
    this.dashboard.addWidgets(
      graph('beeline_call', [business('callStarted', 'started'), business('callStartFailed', 'failed'), business('callStartError', 'failed: PBX or service')]),
      graph('Sweeper', [business('renewalsQueued', 'renewals queued')], 8, [business('quietEmployees', 'quiet employees', Duration.minutes(5), Stats.MAXIMUM)]),
      graph('DLQ depth', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'events DLQ', statistic: Stats.MAXIMUM }),
        props.subscriptionStreamDlq.metricApproximateNumberOfMessagesVisible({ label: 'subscription stream DLQ', statistic: Stats.MAXIMUM }),
        props.deliveryDlq.metricApproximateNumberOfMessagesVisible({ label: 'delivery DLQ', statistic: Stats.MAXIMUM }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Outbound deliveries', [business('deliveryDelivered', 'delivered'), business('deliveryRetried', 'retried'), business('deliveryFailed', 'gave up')], 12),
      graph('Delivery queue', [props.deliveryQueue.metricApproximateAgeOfOldestMessage({ label: 'age of oldest message (s)', statistic: Stats.MAXIMUM })], 12, [
        props.deliveryQueue.metricApproximateNumberOfMessagesVisible({ label: 'visible', statistic: Stats.MAXIMUM }),
        props.deliveryQueue.metricApproximateNumberOfMessagesDelayed({ label: 'delayed (retries)', statistic: Stats.MAXIMUM }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Events queue', [props.eventsQueue.metricApproximateAgeOfOldestMessage({ label: 'age of oldest message (s)', statistic: Stats.MAXIMUM })], 8, [
        props.eventsQueue.metricApproximateNumberOfMessagesVisible({ label: 'visible', statistic: Stats.MAXIMUM }),
        props.eventsQueue.metricApproximateNumberOfMessagesDelayed({ label: 'delayed (settle timers)', statistic: Stats.MAXIMUM }),
      ]),
      graph('Work queue (PBX work)', [props.workQueue.metricApproximateAgeOfOldestMessage({ label: 'age of oldest message (s)', statistic: Stats.MAXIMUM })], 8, [
        props.workQueue.metricApproximateNumberOfMessagesVisible({ label: 'visible', statistic: Stats.MAXIMUM }),
        props.workQueue.metricApproximateNumberOfMessagesDelayed({ label: 'delayed (record look-ups, retries)', statistic: Stats.MAXIMUM }),
      ]),
      graph(
        'Lambda errors',
        perFunction((f) => f.metricErrors({ statistic: Stats.SUM })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        perFunction((f) => f.metricDuration({ statistic: Stats.p(99) })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda throttles',
        perFunction((f) => f.metricThrottles({ statistic: Stats.SUM })),
      ),
      graph('HTTP API latency p99 (ms)', [
        props.httpStage.metricLatency({ statistic: Stats.p(99), label: 'latency p99' }),
        props.httpStage.metricIntegrationLatency({ statistic: Stats.p(99), label: 'integration latency p99' }),
      ]),
      graph('HTTP API requests, 4xx, 5xx', [props.httpStage.metricCount({ statistic: Stats.SUM, label: 'requests' })], 8, [
        props.httpStage.metricClientError({ statistic: Stats.SUM, label: '4xx' }),
        props.httpStage.metricServerError({ statistic: Stats.SUM, label: '5xx' }),
      ]),
    );
  }
}

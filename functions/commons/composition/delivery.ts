/** Wiring of outbound delivery (the relay, the delivery function and the api's delivery routes): only their bundles carry it. */
import { DynamoDeliveryStore } from '../adapters/dynamo/delivery-store';
import { documentClientFrom } from '../adapters/dynamo/document-client';
import { EventBridgeBus, eventBridgeClient } from '../adapters/event-bus';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { sqsClientFrom } from '../adapters/sqs-queue';
import { cipherFrom } from '../adapters/token-cipher';
import { HttpWebhookSender } from '../adapters/webhook-sender';
import { Deliverer } from '../app/delivery/deliverer';
import { DeliverySettingsService } from '../app/delivery/settings';
import type { RelayDeps } from '../app/delivery/relay';
import { DELIVERY_LOOPBACK_ENV, DELIVERY_QUEUE_ENV, EVENT_BUS_ENV } from '../contracts/events';
import { SETTINGS } from '../contracts/settings';
import type { TargetPolicy } from '../domain/delivery';
import { required, settingFrom, type Environment } from '../environment';

export function deliveryStoreFrom(env: Environment) {
  return new DynamoDeliveryStore(documentClientFrom(env), required(env, 'TABLE_NAME'));
}

/** Receivers on this machine only where the environment says so (the local stack). */
export function targetPolicyFrom(env: Environment): TargetPolicy {
  return { allowLoopback: env[DELIVERY_LOOPBACK_ENV] === 'true' };
}

export function deliverySettingsFrom(env: Environment, now: () => Date = () => new Date()): DeliverySettingsService {
  return new DeliverySettingsService({ store: deliveryStoreFrom(env), cipher: cipherFrom(env, 'deliverySecrets'), policy: targetPolicyFrom(env), now });
}

function deliveryQueueFrom(env: Environment): SqsDeliveryQueue {
  return new SqsDeliveryQueue(sqsClientFrom(env), required(env, DELIVERY_QUEUE_ENV));
}

export function relayFrom(env: Environment, now: () => number = Date.now): RelayDeps {
  const busName = env[EVENT_BUS_ENV];
  return {
    store: deliveryStoreFrom(env),
    queue: deliveryQueueFrom(env),
    bus: busName ? new EventBridgeBus(eventBridgeClient(env.AWS_REGION), busName) : undefined,
    now,
  };
}

export function delivererFrom(env: Environment, now: () => number = Date.now): Deliverer {
  return new Deliverer({
    store: deliveryStoreFrom(env),
    queue: deliveryQueueFrom(env),
    sender: new HttpWebhookSender(targetPolicyFrom(env)),
    cipher: cipherFrom(env, 'deliverySecrets'),
    timeoutMs: settingFrom(env, SETTINGS.deliveryTimeoutSeconds) * 1000,
    retryBaseSeconds: settingFrom(env, SETTINGS.deliveryRetryBaseSeconds),
    giveUpSeconds: settingFrom(env, SETTINGS.deliveryGiveUpSeconds),
    now,
  });
}

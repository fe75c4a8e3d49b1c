// The SQS emulator (fauxqs) on a thread of its own, as SQS is a service of its own on AWS: its
// HTTP handling does not queue behind the functions on the stack's event loop. Plain JavaScript
// so that it loads the same under tsx, vitest and node. Driven by local/sqs.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { startFauxqs } from 'fauxqs';

const { port, visibilityTimeoutSeconds, maxReceiveCount } = workerData;
const server = await startFauxqs({ port, logger: false, host: '127.0.0.1' });
const dlq = server.createQueue('events-dlq', { attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } });
// Both lanes park their failures in the one DLQ, as on AWS.
const attributes = {
  VisibilityTimeout: String(visibilityTimeoutSeconds),
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount }),
};
const queue = server.createQueue('events', { attributes });
const workQueue = server.createQueue('work', { attributes });
// Outbound deliveries have their own queue and DLQ, as on AWS.
const deliveryDlq = server.createQueue('delivery-dlq', { attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } });
const deliveryQueue = server.createQueue('delivery', {
  attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deliveryDlq.queueArn, maxReceiveCount }) },
});
const QUEUES = ['events', 'work', 'events-dlq', 'delivery', 'delivery-dlq'];

/** Every message of the queue, whether ready, delayed or being processed right now. */
function snapshot(name) {
  const inspected = server.inspectQueue(name);
  if (!inspected) return [];
  const { ready, delayed, inflight } = inspected.messages;
  return [...ready, ...delayed, ...inflight.map((entry) => entry.message)].map((message) => ({
    body: message.body,
    delayUntil: message.delayUntil,
  }));
}

parentPort.on('message', async (request) => {
  if (request.type === 'snapshot') {
    parentPort.postMessage({ type: 'snapshot', saved: Object.fromEntries(QUEUES.map((name) => [name, snapshot(name)])) });
  } else if (request.type === 'stop') {
    await server.stop();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  }
});
parentPort.postMessage({
  type: 'ready',
  endpoint: `http://127.0.0.1:${server.port}`,
  urls: { events: queue.queueUrl, work: workQueue.queueUrl, 'events-dlq': dlq.queueUrl, delivery: deliveryQueue.queueUrl, 'delivery-dlq': deliveryDlq.queueUrl },
});

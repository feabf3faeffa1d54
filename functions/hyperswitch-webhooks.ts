import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient, sqsClient } from '../lib/aws';
import { hyperswitchWebhookEnv, readConfig } from '../lib/config';
import { HYPERSWITCH_SIGNATURE_HEADER, hyperswitchSignatureValid, outgoingWebhookSchema, webhookHashKeysSchema } from '../lib/hyperswitch';
import { jsonResponse } from '../lib/http';
import { JOB_ID_METADATA_KEY, JOB_ID_PATTERN } from '../lib/jobs';
import { HttpError } from '../lib/http/errors';
import { errorResponses, header } from '../lib/http/middleware';
import { correlated, logger } from '../lib/log';
import { count } from '../lib/metrics';
import { typedSecret } from '../lib/secrets';
import { parseOrThrow } from '../lib/validation';
import { WebhookReceipts, type HyperswitchEventMessage } from '../lib/webhooks';
import { requestKeys, secrets } from './commons';

const config = readConfig(hyperswitchWebhookEnv);
const hashKeys = typedSecret(secrets, config.HYPERSWITCH_WEBHOOK_SECRET_ID, webhookHashKeysSchema);
const receipts = new WebhookReceipts(config.JOBS_TABLE_NAME, dynamoDbClient());
const sqs = sqsClient();

function refuse(status: number, code: string, message: string): never {
  count('HyperswitchWebhooks', { outcome: code });
  throw new HttpError(status, code, message);
}

/**
 * `POST /webhooks/hyperswitch`: no API key — the signature is the credential. In the request only
 * what must be: the signature over the raw body, the shape, the age, the event id not seen before,
 * and a durable hand-off to the queue; the payment is read and the job moved by the consumer.
 */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(errorResponses(logger))
    .handler(async (event) => {
      const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
      if (raw.length > config.HYPERSWITCH_WEBHOOK_MAX_BYTES) refuse(413, 'payload_too_large', `The body must be at most ${config.HYPERSWITCH_WEBHOOK_MAX_BYTES} bytes`);
      const signature = header(event, HYPERSWITCH_SIGNATURE_HEADER);
      if (!signature) refuse(401, 'signature_missing', `${HYPERSWITCH_SIGNATURE_HEADER} is required`);
      if (!hyperswitchSignatureValid(raw, signature, (await hashKeys.get()).hash_keys)) refuse(401, 'signature_invalid', 'The signature does not match the body');
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        refuse(400, 'invalid_json', 'The body is not valid JSON');
      }
      const webhook = parseOrThrow(outgoingWebhookSchema, body, 'webhook');
      if (webhook.timestamp && Date.now() - Date.parse(webhook.timestamp) > config.HYPERSWITCH_WEBHOOK_MAX_AGE_SECONDS * 1000) refuse(400, 'stale_event', 'The event is older than this endpoint accepts');
      if (await receipts.seen(webhook.event_id)) {
        count('HyperswitchWebhooks', { outcome: 'duplicate' });
        return jsonResponse(200, { received: true, duplicate: true });
      }
      const jobId = (webhook.content.object.metadata as Record<string, unknown> | null | undefined)?.[JOB_ID_METADATA_KEY];
      const message: HyperswitchEventMessage = {
        event_id: webhook.event_id,
        event_type: webhook.event_type,
        object_type: webhook.content.type,
        object_id: webhook.content.object.id,
        ...(typeof jobId === 'string' && JOB_ID_PATTERN.test(jobId) ? { job_id: jobId } : {}),
      };
      await sqs.sendMessage({ QueueUrl: config.HYPERSWITCH_EVENTS_QUEUE_URL, MessageBody: JSON.stringify(message) });
      // After the hand-off: a failure between the two makes a repeat hand-off, never a lost event.
      await receipts.record(webhook.event_id);
      count('HyperswitchWebhooks', { outcome: 'accepted' });
      logger.debug('Hyperswitch webhook accepted', { eventId: webhook.event_id, eventType: webhook.event_type });
      return jsonResponse(200, { received: true });
    }),
  requestKeys,
);

import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { jobsEnv, paymentsApiEnv, readConfig } from '../lib/config';
import { createPaymentsClient } from '../lib/hyperswitch';
import { jsonResponse } from '../lib/http';
import { HttpError } from '../lib/http/errors';
import { authorized, errorResponses, type AuthorizedEvent } from '../lib/http/middleware';
import { clientSecretMatches, DynamoDbJobStore, JOB_ID_PATTERN, jobIdOfClientSecret, jobView, resolveAwaitingAction, type JobRecord } from '../lib/jobs';
import { correlated, logger } from '../lib/log';
import { cardKeysReader, eventPublisher, merchantKeysReader, requestKeys, secrets } from './commons';

const config = readConfig(jobsEnv.extend(paymentsApiEnv.shape));
const cardKeys = cardKeysReader();
const store = new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient());
const payments = createPaymentsClient(config, secrets, logger);
const events = eventPublisher();

/** A job waiting for the shopper is resolved on read if its payment moved on; if Hyperswitch cannot say, it is shown as it is. */
async function current(job: JobRecord): Promise<JobRecord> {
  if (job.status !== 'requires_action') return job;
  try {
    return await resolveAwaitingAction(job, { store, payments, log: logger, jobChanged: events.publishJob });
  } catch (error) {
    logger.warn('Could not resolve a job waiting for the shopper', { jobId: job.job_id, error: error instanceof Error ? error.name : 'unknown' });
    return job;
  }
}

const FORBIDDEN = () => new HttpError(403, 'forbidden', 'This client secret is not valid for this job');
const NOT_FOUND = () => new HttpError(404, 'job_not_found', 'No such job');

/**
 * `GET /jobs/{job_id}`: with a server key, any job; with a job's client secret (`X-Client-Secret`),
 * that job only. The secret is checked before the store is read, so the answer never says whether
 * a job the caller may not see exists. A job in `requires_action` is looked up in Hyperswitch first
 * (force-synced): after the shopper's 3-D Secure it answers `succeeded` or `failed`, after the wait
 * `authentication_expired`.
 */
export const handler = correlated(
  middy<APIGatewayProxyEventV2>()
    .use(authorized(['server', 'client_secret'], merchantKeysReader()))
    .use(errorResponses(logger))
    .handler(async (event) => {
      const { principal } = event as unknown as AuthorizedEvent;
      const jobId = event.pathParameters?.job_id ?? '';
      if (principal.kind === 'client_secret') {
        if (jobIdOfClientSecret(principal.secret) !== jobId || !clientSecretMatches(await cardKeys(), jobId, principal.secret)) throw FORBIDDEN();
      }
      if (!JOB_ID_PATTERN.test(jobId)) throw NOT_FOUND();
      const job = await store.get(jobId);
      if (!job) throw NOT_FOUND();
      return jsonResponse(200, jobView(await current(job)));
    }),
  requestKeys,
);

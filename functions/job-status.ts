import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDbClient } from '../lib/aws';
import { jobsEnv, readConfig } from '../lib/config';
import { dataKeysSchema } from '../lib/crypto';
import { jsonResponse } from '../lib/http';
import { HttpError } from '../lib/http/errors';
import { errorResponses, header } from '../lib/http/middleware';
import { clientSecretMatches, DynamoDbJobStore, JOB_ID_PATTERN, jobIdOfClientSecret, jobView } from '../lib/jobs';
import { logger } from '../lib/log';
import { SecretsManagerSource, typedSecret } from '../lib/secrets';

const config = readConfig(jobsEnv);
const keys = typedSecret(new SecretsManagerSource({ ttlSeconds: config.SECRETS_TTL_SECONDS }), config.CARD_KEYS_SECRET_ID, dataKeysSchema);
const store = new DynamoDbJobStore(config.JOBS_TABLE_NAME, dynamoDbClient());

/**
 * `GET /jobs/{job_id}` with the job's client secret in `X-Client-Secret`. A secret issued for another
 * job is refused before the store is read, so the answer never says whether some other job exists.
 */
export const handler = middy<APIGatewayProxyEventV2>()
  .use(errorResponses(logger))
  .handler(async (event) => {
    const jobId = event.pathParameters?.job_id ?? '';
    if (!JOB_ID_PATTERN.test(jobId)) throw new HttpError(404, 'job_not_found', 'No such job');
    const secret = header(event, 'x-client-secret');
    if (!secret) throw new HttpError(401, 'authentication_required', 'Send the job’s client_secret in the X-Client-Secret header');
    if (jobIdOfClientSecret(secret) !== jobId) throw new HttpError(403, 'forbidden', 'This client secret is not valid for this job');
    const job = await store.get(jobId);
    if (!job) throw new HttpError(404, 'job_not_found', 'No such job');
    if (!clientSecretMatches(await keys.get(), secret, job.client_secret_hash)) {
      throw new HttpError(403, 'forbidden', 'This client secret is not valid for this job');
    }
    return jsonResponse(200, jobView(job));
  });

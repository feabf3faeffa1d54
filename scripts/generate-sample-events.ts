/**
 * Writes the sample Lambda events in events/ that carry a sealed card: the SQS events for the worker
 * and the dead-letter handler, sealed with the local stack's fake key, so that
 * `serverless invoke local --stage local -f vaultWorker -p events/vault-worker.json` runs against `npm start`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vaultRequestSchema, sealVaultJob, DEFAULT_MAX_CHARGE_AMOUNT } from '../lib/jobs';
import { LOCAL_CARD_KEYS } from '../local/stack';

const root = join(__dirname, '..');

function sqsEvent(queue: string, body: unknown) {
  return {
    Records: [
      {
        messageId: '6f2a1c1e-0c5b-4d55-9a53-1a0b6d6c3f10',
        receiptHandle: 'local-sample-receipt-handle',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1795521600000', SenderId: '000000000000', ApproximateFirstReceiveTimestamp: '1795521600000' },
        messageAttributes: { schema: { dataType: 'String', stringValue: 'vault-job/v1', stringListValues: [], binaryListValues: [] } },
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

const request = vaultRequestSchema(DEFAULT_MAX_CHARGE_AMOUNT).parse({
  customer: { name: 'Jane Doe', email: 'jane@example.com' },
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123', holder_name: 'Jane Doe', issuing_country: 'US' },
  tokenization: { psp: true, network: true },
  charge: { amount: 6540, currency: 'USD' },
});
const { message } = sealVaultJob('sample-job-0001', request, LOCAL_CARD_KEYS);
writeFileSync(join(root, 'events/vault-worker.json'), `${JSON.stringify(sqsEvent('s2s-vault-local-vault-jobs', message), null, 2)}\n`);
writeFileSync(join(root, 'events/dead-letter.json'), `${JSON.stringify(sqsEvent('s2s-vault-local-vault-jobs-dlq', { ...message, job_id: 'sample-job-0002' }), null, 2)}\n`);

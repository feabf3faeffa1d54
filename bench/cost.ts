/**
 * What a million jobs cost in AWS, from the counts of one job (counts.ts) and the public prices in
 * prices.json (arm64, us-east-1, on-demand; their date is in the file). Hyperswitch's own fees and
 * the card networks' are out of scope: this is what running s2s-vault costs the merchant in AWS.
 */
import prices from './prices.json';
import type { JobCounts } from './counts';

export interface CostLine {
  item: string;
  usd: number;
}

/** Secrets Manager: each container reads each secret once per TTL (300 s); at a steady 10 jobs/s that is about this many calls per job. */
export const SECRET_CALLS_PER_JOB = (6 * 12) / (10 * 3600);

/** USD per million jobs, by item. */
export function costPerMillion(counts: JobCounts): CostLine[] {
  const million = 1_000_000;
  const lines: CostLine[] = [
    { item: 'API Gateway requests', usd: counts.apiRequests * prices.api_gateway_http_api.requests_per_million },
    { item: 'Lambda requests', usd: counts.invocations * prices.lambda.requests_per_million },
    { item: 'Lambda GB-seconds', usd: counts.gbSeconds * prices.lambda.gb_second_arm64 * million },
    { item: 'DynamoDB writes (jobs)', usd: counts.dynamodbWriteUnits * prices.dynamodb_on_demand.write_request_units_per_million },
    { item: 'DynamoDB reads (jobs)', usd: counts.dynamodbReadUnits * prices.dynamodb_on_demand.read_request_units_per_million },
    { item: 'DynamoDB writes (events, receipts)', usd: (counts.eventWriteUnits + counts.receiptWrites) * prices.dynamodb_on_demand.write_request_units_per_million },
    { item: 'DynamoDB reads (events, receipts)', usd: counts.receiptReads * prices.dynamodb_on_demand.read_request_units_per_million },
    { item: 'SQS requests', usd: counts.sqsRequests * prices.sqs_standard.requests_per_million },
    { item: 'Secrets Manager calls', usd: SECRET_CALLS_PER_JOB * (prices.secrets_manager.api_calls_per_10000 / 10_000) * million },
    { item: 'CloudWatch Logs ingestion', usd: (counts.logBytes / 1024 ** 3) * prices.cloudwatch_logs.ingestion_per_gb_standard * million },
  ];
  return lines.map((line) => ({ ...line, usd: Math.round(line.usd * 100) / 100 }));
}

export const total = (lines: CostLine[]) => Math.round(lines.reduce((sum, line) => sum + line.usd, 0) * 100) / 100;

export const PRICES_DATE = prices.date;

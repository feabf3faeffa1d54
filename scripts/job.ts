/**
 * `npm run job -- <job_id> [--stage <stage>]`: a job's record, then where its log lines are. In AWS
 * (any stage but `local`) that is the CloudWatch Logs Insights query over every function's log group,
 * with the command that runs it; for `--stage local` (the default) it is the lines themselves, from the
 * file `npm start` writes. Records and logs hold masked card data only, so nothing here is secret.
 */
import { readFileSync } from 'node:fs';
import { loadServerlessConfig } from '../local/serverless-config';
import { localLogFile } from '../local/log-file';
import { dynamoDbClient } from '../lib/aws';
import { DynamoDbJobStore, JOB_ID_PATTERN } from '../lib/jobs';
import { option, useStage } from './stage-env';

function insightsQuery(jobId: string): string {
  return `fields @timestamp, @log, level, message, operation, status, code | filter jobId = "${jobId}" | sort @timestamp asc`;
}

function localLines(jobId: string, file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [`(no log file at ${file}: is \`npm start\` running with this PORT?)`];
  }
  const needle = `"jobId":"${jobId}"`;
  return text.split('\n').filter((line) => line.includes(needle));
}

async function main(args: string[]): Promise<void> {
  const jobId = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--stage');
  const stage = option(args, 'stage') ?? 'local';
  if (!jobId) throw new Error('usage: npm run job -- <job_id> [--stage <stage>]');
  if (!JOB_ID_PATTERN.test(jobId)) throw new Error(`${jobId} is not a job id`);
  const env = useStage(stage);
  const config = await loadServerlessConfig(stage, env);
  const record = await new DynamoDbJobStore(config.tableName, dynamoDbClient()).get(jobId);
  console.log(record ? JSON.stringify(record, null, 2) : `No job ${jobId} in ${config.tableName}`);

  if (stage === 'local') {
    const file = localLogFile(env);
    console.log(`\nLog lines (${file}):`);
    for (const line of localLines(jobId, file)) console.log(line);
  } else {
    const logGroups = config.functions.map((fn) => `/aws/lambda/${config.service}-${stage}-${fn.name}`);
    console.log(`\nCloudWatch Logs Insights, over ${logGroups.join(' ')}:\n  ${insightsQuery(jobId)}`);
    console.log(`\nFrom a shell (the last 7 days):
  aws logs start-query --log-group-names ${logGroups.join(' ')} \\
    --start-time $(( $(date +%s) - 604800 )) --end-time $(date +%s) --query-string '${insightsQuery(jobId)}'
  aws logs get-query-results --query-id <the queryId printed above>`);
  }
  if (!record) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

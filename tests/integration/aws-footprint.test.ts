/**
 * The AWS footprint, read from the CloudFormation that `serverless package` generates: least-privilege
 * IAM, encrypted queues with a DLQ and short retention, TLS-only queue access, an encrypted table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_INDEXES } from '../../lib/events/store';
import { runServerless } from '../../local/serverless-config';

const root = join(__dirname, '../..');
jest.setTimeout(180_000);

interface Resource {
  Type: string;
  Properties: Record<string, any>;
}
let resources: Record<string, Resource>;
/** The same stack for a stage that turns tracing on. */
let traced: Record<string, Resource>;

async function packaged(directory: string, ...options: string[]): Promise<Record<string, Resource>> {
  await runServerless(['package', '--stage', 'footprint', '--package', directory, ...options], { timeout: 150_000 });
  return JSON.parse(readFileSync(join(root, directory, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}

beforeAll(async () => {
  resources = await packaged('.serverless-footprint');
  traced = await packaged('.serverless-footprint-traced', '--param=tracing=true');
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const statements = (role: Resource): Array<Record<string, any>> => role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
const asList = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

describe('IAM', () => {
  it('grants no wildcard action and no wildcard resource', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(5);
    for (const [, role] of roles) {
      for (const statement of statements(role)) {
        for (const action of asList(statement.Action)) expect(action).not.toMatch(/\*/);
        for (const resource of asList(statement.Resource)) expect(resource).not.toBe('*');
      }
    }
  });

  it('scopes every statement to the project’s own log groups, queues, table and secrets', () => {
    for (const [, role] of ofType('AWS::IAM::Role')) {
      for (const statement of statements(role)) {
        for (const resource of asList(statement.Resource)) {
          const text = JSON.stringify(resource);
          const own =
            /log-group:\/aws\/lambda\/s2s-vault-footprint/.test(text) ||
            /VaultJobsQueue|VaultJobsDeadLetterQueue|WebhookDeliveriesQueue|HyperswitchEventsQueue|JobsTable/.test(text) ||
            /secret","s2s-vault\/footprint\/(card-encryption-keys|merchant-api-keys|hyperswitch-vault|hyperswitch-payment|merchant-webhook|hyperswitch-webhook)-\*"/.test(text);
          expect({ statement: statement.Action, resource: text, own }).toMatchObject({ own: true });
        }
      }
    }
  });

  it('gives each function only what it uses: token routes never the payment secret', () => {
    const secretsOf = (role: string) =>
      statements(resources[role]!)
        .filter((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => asList(s.Resource).map((r) => JSON.stringify(r).match(/footprint\/([a-z-]+)-\*/)?.[1]));
    expect(secretsOf('PaymentMethodsIamRoleLambdaExecution').sort()).toEqual(['hyperswitch-vault', 'merchant-api-keys']);
    expect(secretsOf('CheckoutIamRoleLambdaExecution').sort()).toEqual(['card-encryption-keys', 'merchant-api-keys']);
    expect(secretsOf('VaultWorkerIamRoleLambdaExecution').sort()).toEqual(['card-encryption-keys', 'hyperswitch-payment', 'hyperswitch-vault']);
    // Reconciling a failed job reads Hyperswitch (both keys); it never sees the card keys.
    expect(secretsOf('DeadLetterIamRoleLambdaExecution').sort()).toEqual(['hyperswitch-payment', 'hyperswitch-vault']);
    expect(statements(resources.HealthIamRoleLambdaExecution!).every((s) => asList(s.Action).every((a: string) => a.startsWith('logs:')))).toBe(true);
    // Webhook delivery reads only the whsec_ signing keys; nothing else reads them.
    expect(secretsOf('WebhookDeliveryIamRoleLambdaExecution')).toEqual(['merchant-webhook']);
    // The inbound route reads only the hash keys it checks signatures with; applying an event, the payment key.
    expect(secretsOf('HyperswitchWebhooksIamRoleLambdaExecution')).toEqual(['hyperswitch-webhook']);
    expect(secretsOf('HyperswitchEventsIamRoleLambdaExecution')).toEqual(['hyperswitch-payment']);
    for (const role of ['CheckoutIamRoleLambdaExecution', 'VaultWorkerIamRoleLambdaExecution', 'EventsIamRoleLambdaExecution', 'PaymentMethodsIamRoleLambdaExecution']) expect(secretsOf(role)).not.toContain('merchant-webhook');
  });

  it('gives every function a role of its own', () => {
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      expect(JSON.stringify(fn.Properties.Role)).toContain(name.replace('LambdaFunction', 'IamRoleLambdaExecution'));
    }
  });
});

describe('tracing', () => {
  const xrayStatements = (stack: Record<string, Resource>, role: string) => statements(stack[role]!).filter((s) => asList(s.Action).some((action: string) => action.startsWith('xray:')));

  it('is off by default: no active tracing, no X-Ray permission', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.TracingConfig).toBeUndefined();
    for (const [role] of ofType('AWS::IAM::Role')) expect(xrayStatements(resources, role)).toEqual([]);
  });

  it('a stage with tracing: true traces every function and lets each role write traces, and only that', () => {
    const functions = Object.entries(traced).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(5);
    for (const [name, fn] of functions) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      // X-Ray's write actions take no resource but '*'.
      expect(xrayStatements(traced, name.replace('LambdaFunction', 'IamRoleLambdaExecution'))).toEqual([{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }]);
    }
  });
});

describe('monitoring', () => {
  const alarms = (): Array<Record<string, any>> => ofType('AWS::CloudWatch::Alarm').map(([name, alarm]) => ({ name, ...alarm.Properties }));
  const on = (metric: string, dimension: unknown) =>
    alarms().filter((alarm) => alarm.MetricName === metric && JSON.stringify(alarm.Dimensions).includes(JSON.stringify(dimension)));

  it('pages on the first dead letter, and on a stalled queue, for every queue', () => {
    expect(on('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['VaultJobsDeadLetterQueue', 'QueueName'] })).toEqual([
      expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }),
    ]);
    for (const [queue] of ofType('AWS::SQS::Queue')) {
      expect(on('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': [queue, 'QueueName'] })).toHaveLength(1);
    }
  });

  it('alarms on errors and throttles of every function', () => {
    for (const [fn] of ofType('AWS::Lambda::Function')) {
      for (const metric of ['Errors', 'Throttles']) expect(on(metric, { Ref: fn })).toEqual([expect.objectContaining({ Threshold: 0 })]);
    }
  });

  it('alarms on the job failure rate and the Hyperswitch error rate over our own EMF metrics', () => {
    const byName = Object.fromEntries(alarms().map((alarm) => [alarm.name, alarm]));
    const jobs = JSON.stringify(byName.JobFailureRateAlarm!.Metrics);
    expect(jobs).toContain('"MetricName":"JobsFinished"');
    expect(jobs).toContain('"Namespace":"s2s-vault"');
    expect(jobs).toContain('{"Name":"status","Value":"failed"}');
    const hyperswitch = JSON.stringify(byName.HyperswitchErrorRateAlarm!.Metrics);
    for (const status of ['429', '5xx', 'none', '2xx', '4xx']) expect(hyperswitch).toContain(`{"Name":"status","Value":"${status}"}`);
    expect(hyperswitch).toContain('"MetricName":"HyperswitchCalls"');
  });

  it('alarms on the API 5xx rate by metric math', () => {
    const [rate] = alarms().filter((alarm) => alarm.name === 'HttpApi5xxRateAlarm');
    expect(JSON.stringify(rate!.Metrics)).toContain('"MetricName":"5xx"');
    expect(rate!.Metrics.find((metric: { ReturnData: boolean }) => metric.ReturnData).Expression).toContain('100 * errors / requests');
  });

  it('sends every alarm to one SNS topic, which e-mails the stage parameter alarmEmail when one is set', () => {
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(ofType('AWS::SNS::Topic').map(([name]) => name)).toEqual(['AlarmTopic']);
    const subscriptions = ofType('AWS::SNS::Subscription');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]![1]).toMatchObject({ Condition: 'HasAlarmEmail', Properties: { Protocol: 'email', TopicArn: { Ref: 'AlarmTopic' } } });
  });

  it('has one dashboard whose body is valid JSON over the queues, the worker and the API', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const [template, values] = dashboards[0]![1].Properties.DashboardBody['Fn::Sub'];
    const body = JSON.parse(template.replace(/\$\{[^}]+\}/g, 'x'));
    expect(body.widgets.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(values).sort()).toEqual(['Api', 'Api5xxAlarm', 'Checkout', 'DeadLetterQueue', 'DlqAlarm', 'Queue', 'QueueAgeAlarm', 'Worker', 'WorkerErrorsAlarm']);
  });
});

describe('queues', () => {
  it('are encrypted, keep job messages (which hold an encrypted CVC) at most an hour, and the main one redrives to the DLQ', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues.map(([name]) => name).sort()).toEqual(['HyperswitchEventsDeadLetterQueue', 'HyperswitchEventsQueue', 'VaultJobsDeadLetterQueue', 'VaultJobsQueue', 'WebhookDeliveriesDeadLetterQueue', 'WebhookDeliveriesQueue']);
    for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    for (const name of ['VaultJobsQueue', 'VaultJobsDeadLetterQueue']) expect(resources[name]!.Properties.MessageRetentionPeriod).toBeLessThanOrEqual(3600);
    expect(resources.VaultJobsQueue!.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['VaultJobsDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    expect(resources.VaultJobsQueue!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * resources.VaultWorkerLambdaFunction!.Properties.Timeout);
    // A card create whose outcome was lost may be resent once Hyperswitch has settled: by the next delivery.
    const settleMs = Number(resources.VaultWorkerLambdaFunction!.Properties.Environment.Variables.HYPERSWITCH_SETTLE_MS);
    expect(settleMs).toBeGreaterThan(0);
    expect(settleMs).toBeLessThan(resources.VaultJobsQueue!.Properties.VisibilityTimeout * 1000);
  });

  it('refuse access without TLS', () => {
    const [[, policy] = []] = ofType('AWS::SQS::QueuePolicy');
    expect(policy!.Properties.Queues).toEqual(ofType('AWS::SQS::Queue').map(([name]) => ({ Ref: name })));
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('retry a webhook delivery by its schedule, then dead-letter it: the final attempt is the last receive', () => {
    const deliveries = resources.WebhookDeliveriesQueue!.Properties;
    const schedule = resources.WebhookDeliveryLambdaFunction!.Properties.Environment.Variables.WEBHOOK_RETRY_DELAYS_SECONDS.split(',').map(Number);
    expect(deliveries.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['WebhookDeliveriesDeadLetterQueue', 'Arn'] }, maxReceiveCount: schedule.length + 1 });
    // Over 24 hours of attempts, all within the messages' retention; each hold within SQS's 12-hour visibility limit.
    expect(schedule.reduce((sum: number, seconds: number) => sum + seconds, 0)).toBeGreaterThan(24 * 3600);
    expect(schedule.reduce((sum: number, seconds: number) => sum + seconds * 1.2, 0)).toBeLessThan(deliveries.MessageRetentionPeriod);
    expect(Math.max(...schedule) * 1.2).toBeLessThanOrEqual(12 * 3600);
    expect(deliveries.VisibilityTimeout).toBeGreaterThanOrEqual(6 * resources.WebhookDeliveryLambdaFunction!.Properties.Timeout);
  });

  it('feed the worker with partial batch failures, at a bounded concurrency', () => {
    const [[, mapping] = []] = ofType('AWS::Lambda::EventSourceMapping').filter(([name]) => name.startsWith('VaultWorker'));
    expect(mapping!.Properties).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 4 } });
  });
});

describe('the jobs table and the HTTP API', () => {
  it('the table has the event indexes the event store queries', () => {
    const table = ofType('AWS::DynamoDB::Table')[0]![1].Properties;
    expect(table.GlobalSecondaryIndexes).toEqual(EVENT_INDEXES.GlobalSecondaryIndexes);
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'job_id', AttributeType: 'S' }, ...EVENT_INDEXES.AttributeDefinitions]);
  });

  it('the table is encrypted, on demand, with TTL and point-in-time recovery', () => {
    expect(resources.JobsTable!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('the Hyperswitch webhook route is throttled on its own', () => {
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0]![1];
    expect(stage.Properties.RouteSettings['POST /webhooks/hyperswitch']).toEqual({ ThrottlingBurstLimit: 50, ThrottlingRateLimit: 25 });
  });

  it('the API is throttled at the edge', () => {
    expect(resources.HttpApiStage!.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 });
  });
});

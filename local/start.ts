/** `npm start`: the local stack, with what runs where and a request to try. Ctrl-C stops it. */
import { runUntilSignalled } from './process';
import { optionsFromEnv, startLocalStack } from './stack';

runUntilSignalled('local stack', async () => {
  const log = (line: Record<string, unknown>) => console.log(JSON.stringify({ component: 'local-stack', ...line }));
  const stack = await startLocalStack(optionsFromEnv(process.env, log));
  const { urls } = stack;
  const simulated = stack.simulator ? 'simulator' : 'real Hyperswitch';
  console.log(`
s2s-vault local stack is up
  HTTP API            ${urls.api}   (POST /checkouts, GET /jobs/{job_id}, GET /health)
  Hyperswitch         ${urls.hyperswitch}   (${simulated}${stack.simulator ? `; inspect: ${urls.hyperswitch}/__sim/inspect` : ''})
  SQS (fauxqs)        ${urls.sqs}   queues: ${Object.keys(stack.queueUrls).join(', ')}
  DynamoDB (dynalite) ${urls.dynamoDb}   table: ${stack.tableName}
  Secrets Manager     ${urls.secretsManager}   (fake local secrets)

Try it:
  curl -s ${urls.api}/checkouts -H 'Content-Type: application/json' -d '{
    "customer": {"name": "Jane Doe", "email": "jane@example.com"},
    "card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder_name": "Jane Doe"},
    "tokenization": {"network": true},
    "charge": {"amount": 6540, "currency": "USD"}
  }'
  curl -s ${urls.api}/jobs/<job_id> -H 'X-Client-Secret: <client_secret>'
`);
  return stack;
});

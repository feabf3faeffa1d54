/** `npm start`: the local stack, with what runs where and a request to try. Ctrl-C stops it. */
import { startCheckoutPage } from './checkout-page';
import { localLogFile, teeOutputTo } from './log-file';
import { runUntilSignalled } from './process';
import { optionsFromEnv, startLocalStack } from './stack';

runUntilSignalled('local stack', async () => {
  const logFile = localLogFile(process.env);
  teeOutputTo(logFile);
  const log = (line: Record<string, unknown>) => console.log(JSON.stringify({ component: 'local-stack', ...line }));
  const options = optionsFromEnv(process.env, log);
  const stack = await startLocalStack(options);
  const { urls } = stack;
  const simulated = stack.simulator ? 'simulator' : 'real Hyperswitch';
  const { server, publishable } = options.apiKeys;
  const page = await startCheckoutPage({ port: Number(process.env.WEB_PORT ?? 5173), apiBase: urls.api, publishableKey: publishable }).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  console.log(`
s2s-vault local stack is up
  Checkout page       ${page.url}   (a card form over the API: save or pay with a test card)
  HTTP API            ${urls.api}   (OpenAPI: ${urls.api}/openapi.json)
  Hyperswitch         ${urls.hyperswitch}   (${simulated}${stack.simulator ? `; inspect: ${urls.hyperswitch}/__sim/inspect` : ''})
  SQS (fauxqs)        ${urls.sqs}   queues: ${Object.keys(stack.queueUrls).join(', ')}
  DynamoDB (dynalite) ${urls.dynamoDb}   table: ${stack.tableName}
  Secrets Manager     ${urls.secretsManager}   (fake local secrets)
  Logs                ${logFile}   (a job's record and lines: npm run job -- <job_id> --stage local)
  API keys (fake)     server ${server} · publishable ${publishable}
  Hyperswitch events  the simulator's signed webhooks → ${urls.api}/webhooks/hyperswitch   (fake hash key ${options.hyperswitchWebhookHashKey})
  Merchant events     signed webhooks to ${options.webhook.url}   (run \`npm run events:listen\` to see them; fake secret ${options.webhook.secret})

Try it:
  curl -s ${urls.api}/checkouts -H 'Authorization: Bearer ${publishable}' -H 'Content-Type: application/json' -d '{
    "customer": {"name": "Jane Doe", "email": "jane@example.com"},
    "card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder_name": "Jane Doe"},
    "tokenization": {"network": true},
    "charge": {"amount": 6540, "currency": "USD"}
  }'
  curl -s ${urls.api}/jobs/<job_id> -H 'X-Client-Secret: <client_secret>'
`);
  return {
    async stop() {
      page.server.closeAllConnections();
      await new Promise<void>((resolve) => page.server.close(() => resolve()));
      await stack.stop();
    },
  };
});

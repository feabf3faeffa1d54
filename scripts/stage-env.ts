/**
 * The environment the operations scripts run in. `local` is the stack of `npm start` (its emulators,
 * fake credentials, ports from the same variables `npm start` reads); any other stage is AWS, with the
 * shell's credentials and region.
 */
export function localAwsEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const port = (name: string, fallback: number) => env[name] ?? String(fallback);
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local-fake-access-key',
    AWS_SECRET_ACCESS_KEY: 'local-fake-secret-key',
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port('LOCAL_SQS_PORT', 9324)}`,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port('LOCAL_DYNAMODB_PORT', 8000)}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port('LOCAL_SECRETS_MANAGER_PORT', 4584)}`,
  };
}

/** `--name value` from the arguments. */
export function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

/** Applies the stage's environment to this process (the AWS SDK reads it) and returns it. */
export function useStage(stage: string): NodeJS.ProcessEnv {
  if (stage === 'local') for (const [name, value] of Object.entries(localAwsEnv(process.env))) process.env[name] ??= value;
  return process.env;
}

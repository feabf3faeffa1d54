/**
 * What `npm start` prints — the functions' log lines included — is also written to a file, so that
 * `npm run job -- <job_id> --stage local` can show a job's log lines the way CloudWatch Logs Insights
 * does in AWS. One file per stack (by its API port), started afresh by each `npm start`.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function localLogFile(env: NodeJS.ProcessEnv): string {
  return env.LOCAL_LOG_FILE ?? join(__dirname, '..', '.local', `stack-${env.PORT ?? 3000}.log`);
}

/** Copies everything written to stdout and stderr into `path` as well. */
export function teeOutputTo(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path, { flags: 'w' });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      file.write(chunk);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

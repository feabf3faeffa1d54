/**
 * One emulator in a process of its own (`tsx local/emulator.ts sqs|dynamodb <port>`), so that the
 * benchmarks measure the stack's process without the emulators' work in it. The stack uses it
 * through LOCAL_SQS_URL / LOCAL_DYNAMODB_URL instead of starting its own.
 */
import { startDynamoDbEmulator, startSqsEmulator } from './emulators';
import { runUntilSignalled } from './process';

const [kind, port] = process.argv.slice(2);
const emulators: Record<string, typeof startSqsEmulator | typeof startDynamoDbEmulator> = { sqs: startSqsEmulator, dynamodb: startDynamoDbEmulator };

runUntilSignalled(`${kind} emulator`, async () => {
  const start = emulators[kind ?? ''];
  if (!start) throw new Error(`Unknown emulator ${kind}: sqs or dynamodb`);
  const emulator = await start(Number(port));
  console.log(`${kind} emulator listening on ${emulator.url}`);
  return emulator;
});

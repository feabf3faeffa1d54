/** The lifecycle of a local command: start, then stop cleanly on Ctrl-C or SIGTERM; a failed start exits 1. */
export function runUntilSignalled(what: string, start: () => Promise<{ stop: () => Promise<void> }>): void {
  start().then(
    (running) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        console.log(`Stopping the ${what}…`);
        running.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`The ${what} failed to start:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger (Powertools: structured JSON, level from `POWERTOOLS_LOG_LEVEL`). Event logging stays
 * off: an event can hold a card number. Components take a `Log` so tests can pass a recorder.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 's2s-vault' });

export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

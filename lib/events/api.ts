/** The events routes' inputs: the list's query and the event id in a path. */
import * as z from 'zod';
import { HttpError } from '../http/errors';
import { JOB_ID_PATTERN } from '../jobs/schemas';
import { EVENT_ID_PATTERN, EVENT_TYPES } from './schemas';

export const eventListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  type: z.enum(EVENT_TYPES).optional(),
  job_id: z.string().regex(JOB_ID_PATTERN, 'must be a job id').optional(),
  starting_after: z.string().max(2048).optional().describe('The next_cursor of the previous page'),
});
export type EventListQuery = z.infer<typeof eventListQuerySchema>;

export function eventIdParameter(value: string | undefined): string {
  if (!value || !EVENT_ID_PATTERN.test(value)) throw new HttpError(400, 'invalid_path_parameter', 'event_id must be an event id (evt_ and 32 hex digits)');
  return value;
}

import * as z from 'zod';

/** Every error answer. `fields` on validation errors; `retryable` and `request_id` on 5xx. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
    retryable: z.boolean().optional(),
    request_id: z.string().optional(),
  }),
});

export const acceptedJobSchema = z.object({ job_id: z.string(), status_url: z.string() });
export const checkoutAcceptedSchema = acceptedJobSchema.extend({ client_secret: z.string() });

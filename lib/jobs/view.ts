import type { JobRecord } from './schemas';

/** The job as its owner may see it: no lease, no hash, no TTL. */
export function jobView(job: JobRecord) {
  return {
    job_id: job.job_id,
    status: job.status,
    created_at: job.created_at,
    updated_at: job.updated_at,
    card: job.card ?? null,
    charge: job.charge ?? null,
    steps: job.steps,
    error: job.error ?? null,
    attempts: job.attempts,
  };
}

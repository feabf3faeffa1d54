/**
 * How a job record is kept in its table item: as it is, but for the claim's intent. The claim may
 * make the record, and an update cannot set a path inside a map that the same update makes, so the
 * claim records its intent in an attribute of the item's own (`intent_<step>_at`), not in the step.
 * The attribute stands for the step's `attempted_at` and `first_attempted_at` until the step is next
 * written whole, which removes it; the store folds it into the step as it reads, so no caller sees it.
 */
import { INTENT_STEPS, withIntent, type IntentStep } from './record';
import type { JobRecord } from './schemas';

export const intentAttribute = (step: IntentStep) => `intent_${step}_at`;
const INTENT_ATTRIBUTES = new Set(INTENT_STEPS.map(intentAttribute));

/** A job item as the rest of the code knows it: the claim's intent folded into its step. */
export function jobFromItem(item: Record<string, unknown>): JobRecord {
  const job = Object.fromEntries(Object.entries(item).filter(([name]) => !INTENT_ATTRIBUTES.has(name))) as unknown as JobRecord;
  for (const step of INTENT_STEPS) {
    const at = item[intentAttribute(step)] as string | undefined;
    // A time recorded in the step (an earlier run's checkpoint) is the older one and stands.
    if (at && !job.steps[step]?.attempted_at) job.steps = withIntent(job.steps, step, at);
  }
  return job;
}

/** The claim's intents of the steps a write sets whole: gone with the step's old value. */
export const intentsOf = (steps: string[]) => INTENT_STEPS.filter((step) => steps.includes(step)).map(intentAttribute);

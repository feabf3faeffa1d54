import { HyperswitchDuplicateError, HyperswitchNotFoundError } from '../../hyperswitch';
import { jobCustomerReference } from '../references';
import { JobFailure, settled, type StepRun } from '../run-context';
import type { JobSteps } from '../schemas';

/** What the customer step needs of a run: no record, no lease (see `customerOf`). */
export type CustomerCalls = Pick<StepRun, 'jobId' | 'message' | 'deps' | 'call'>;

/** The customer step's value once it is known. */
export type FoundCustomer = JobSteps['customer'] & { customer_id: string };

/**
 * Step 1: the job's customer, unless the record shows it done. `ahead` is the step's value asked
 * for before the run claimed the job (pipeline.ts); otherwise it is asked for now.
 */
export async function customerStep(run: StepRun, ahead?: Promise<FoundCustomer>): Promise<string> {
  const done = run.steps.customer;
  if ((done.status === 'succeeded' || done.status === 'skipped') && done.customer_id) {
    // An earlier run made it; the same customer, asked for again ahead, is let go.
    await settled(ahead);
    return done.customer_id;
  }
  const customer = await (ahead ?? customerOf(run));
  run.record('customer', customer);
  return customer.customer_id;
}

/**
 * The job's customer — the one it names (checked to exist), or one created with a
 * `merchant_reference_id` (the merchant's, else derived from the job id): a repeat answers HE_01 and
 * the customer is looked up by its reference, so a job never creates two. Nothing here needs the
 * job's lease: two runs asking at once get the same customer.
 */
export async function customerOf(run: CustomerCalls): Promise<FoundCustomer> {
  const { vault } = run.deps;
  const spec = run.message.customer;
  if ('customer_id' in spec) {
    try {
      await run.call('customers.retrieve', () => vault.getCustomer(spec.customer_id));
    } catch (error) {
      if (error instanceof HyperswitchNotFoundError) throw new JobFailure('customer_not_found', 'The customer_id given does not exist in Hyperswitch');
      throw error;
    }
    return { status: 'skipped', customer_id: spec.customer_id };
  }
  const reference = jobCustomerReference(run.jobId, spec.merchant_reference_id);
  let customer;
  try {
    customer = await run.call('customers.create', () =>
      vault.createCustomer({ name: spec.name, email: spec.email, merchant_reference_id: reference, ...(spec.phone ? { phone: spec.phone } : {}) }),
    );
  } catch (error) {
    if (!(error instanceof HyperswitchDuplicateError)) throw error;
    customer = await run.call('customers.retrieveByReference', () => vault.getCustomerByReference(reference));
  }
  return { status: 'succeeded', customer_id: customer.id };
}

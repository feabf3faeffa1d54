import { HyperswitchDuplicateError, HyperswitchNotFoundError } from '../../hyperswitch';
import { jobCustomerReference } from '../references';
import { JobFailure, type StepRun } from '../run-context';

/**
 * Step 1: the job's customer — the one it names (checked to exist), or one created with a
 * `merchant_reference_id` (the merchant's, else derived from the job id): a repeat answers HE_01 and
 * the customer is looked up by its reference, so a job never creates two.
 */
export async function customerStep(run: StepRun): Promise<string> {
  const done = run.steps.customer;
  if ((done.status === 'succeeded' || done.status === 'skipped') && done.customer_id) return done.customer_id;
  const { vault } = run.deps;
  const spec = run.message.customer;
  if ('customer_id' in spec) {
    try {
      await run.call('customers.retrieve', () => vault.getCustomer(spec.customer_id));
    } catch (error) {
      if (error instanceof HyperswitchNotFoundError) throw new JobFailure('customer_not_found', 'The customer_id given does not exist in Hyperswitch');
      throw error;
    }
    run.record('customer', { status: 'skipped', customer_id: spec.customer_id });
    return spec.customer_id;
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
  run.record('customer', { status: 'succeeded', customer_id: customer.id });
  return customer.id;
}

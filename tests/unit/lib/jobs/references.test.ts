import { ContractValidator, loadContract } from '../../../../local/hyperswitch-sim/contract';
import { customerReference, paymentReference } from '../../../../lib/jobs';

const published = new ContractValidator(loadContract());

describe('references derived from the job id', () => {
  it('are stable for a job and differ between jobs', () => {
    expect(customerReference('job_a')).toBe(customerReference('job_a'));
    expect(customerReference('job_a')).not.toBe(customerReference('job_b'));
    expect(paymentReference('job_a')).not.toBe(paymentReference('job_b'));
  });

  it('fit what Hyperswitch accepts: customer ≤ 64 characters, payment exactly 30', () => {
    const jobId = `job_${'f'.repeat(60)}`;
    expect(customerReference(jobId).length).toBeLessThanOrEqual(64);
    expect(paymentReference(jobId)).toHaveLength(30);
    expect(published.validateRequestBody('POST', '/v2/customers', { name: 'a', email: 'b', merchant_reference_id: customerReference(jobId) })).toEqual([]);
  });
});

import type { SQSMessageAttributes } from 'aws-lambda';
import { jobSourceOf } from '../../../../lib/jobs';

const attributes = (source?: string): SQSMessageAttributes => ({
  schema: { dataType: 'String', stringValue: 'vault-job/v1', stringListValues: [], binaryListValues: [] },
  ...(source !== undefined && { source: { dataType: 'String', stringValue: source, stringListValues: [], binaryListValues: [] } }),
});

describe('jobSourceOf', () => {
  it('reads the route that sent a job from its message', () => {
    expect(jobSourceOf(attributes('checkout'))).toBe('checkout');
    expect(jobSourceOf(attributes('charges'))).toBe('charges');
  });

  it("labels `queue` a message that names no route, or one that is not the intake's", () => {
    expect(jobSourceOf(attributes())).toBe('queue');
    expect(jobSourceOf(undefined)).toBe('queue');
    expect(jobSourceOf(attributes('queue'))).toBe('queue');
    expect(jobSourceOf(attributes('Checkout'))).toBe('queue');
    expect(jobSourceOf(attributes(''))).toBe('queue');
  });
});

/**
 * What the fault suite counts as harm, and the evidence for each harmed job: its record, the
 * simulator's objects for its customer, the requests that touched them (with the faults they drew)
 * and the log lines that name the job. Ids and masked facts only: no card data.
 */
import type { JobRecord } from '../../lib/jobs';
import { customerReference, paymentReference, verificationReference } from '../../lib/jobs';
import type { JournalEntry, SimObjects } from '../../local/hyperswitch-sim/server';

export interface SubmittedJob {
  jobId: string;
  sharedCustomer?: string;
}

export interface HarmCounters {
  /** Customers beyond one per job (or per shared merchant reference). */
  duplicate_customers: number;
  /** Saved cards named by more than one job record (each extra name counts). */
  duplicate_payment_methods: number;
  /** Saved cards in Hyperswitch that no job record names: the merchant was told nothing of them. */
  orphaned_payment_methods: number;
  /** Payments beyond one per job, or without a job. */
  double_charges: number;
  /** Payments of a job that no record names: the merchant was told the job failed, or nothing. */
  unrecorded_payments: number;
}

/** What harmed a job: a counter of `countHarm`'s, or a card the job saved that the job table does not hold for it (the suite's). */
export type Harm = keyof HarmCounters | 'unheld_cards';

export interface HarmedJob {
  harm: Harm;
  job_id: string;
  record?: JobRecord;
  objects: { customers: SimObjects['customers']; payment_methods: SimObjects['payment_methods']; payments: SimObjects['payments'] };
  /** The requests that touched the job's customer, cards or payment during its life, with the fault each drew. */
  requests: JournalEntry[];
  /**
   * What happened to the job, in order, from its own log lines: each Hyperswitch call with its
   * answer and the fault the simulator drew for it (matched by request id; a call that got no
   * answer has none), retries, crashes, the dead letter. The sequence that preceded the harm.
   */
  fault_sequence: string[];
  log_lines: string[];
}

export function countHarm(submitted: SubmittedJob[], records: JobRecord[], objects: SimObjects): { counters: HarmCounters; harmedJobIds: Map<string, Harm> } {
  const harmed = new Map<string, Harm>();
  const byCustomer = new Map<string, JobRecord[]>();
  for (const record of records) {
    const customerId = record.steps.customer.customer_id;
    if (customerId) byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), record]);
  }

  const expectedReferences = new Set(submitted.map(({ jobId, sharedCustomer }) => sharedCustomer ?? customerReference(jobId)));
  const referenceCounts = countBy(objects.customers, (customer) => customer.merchant_reference_id);
  let duplicateCustomers = 0;
  for (const [reference, count] of referenceCounts) {
    const extra = expectedReferences.has(reference) ? count - 1 : count;
    if (extra <= 0) continue;
    duplicateCustomers += extra;
    const owner = submitted.find(({ jobId, sharedCustomer }) => (sharedCustomer ?? customerReference(jobId)) === reference);
    if (owner) harmed.set(owner.jobId, 'duplicate_customers');
  }

  // Only vault steps name a card they saved; a charge job names the saved card it charged.
  const namers = new Map<string, JobRecord[]>();
  for (const record of records) {
    const methodId = record.steps.payment_method.status !== 'skipped' ? record.steps.payment_method.payment_method_id : undefined;
    if (methodId) namers.set(methodId, [...(namers.get(methodId) ?? []), record]);
  }
  let duplicatePaymentMethods = 0;
  for (const [, named] of namers) {
    if (named.length < 2) continue;
    duplicatePaymentMethods += named.length - 1;
    for (const record of named) harmed.set(record.job_id, 'duplicate_payment_methods');
  }
  let orphanedPaymentMethods = 0;
  for (const method of objects.payment_methods) {
    if (namers.has(method.id)) continue;
    orphanedPaymentMethods += 1;
    for (const record of byCustomer.get(method.customer_id) ?? []) harmed.set(record.job_id, 'orphaned_payment_methods');
  }

  // A job's payments: its charge and its zero-amount verification, each under a reference of its own.
  const jobOfReference = new Map(submitted.flatMap(({ jobId }) => [[paymentReference(jobId), jobId] as const, [verificationReference(jobId), jobId] as const]));
  const recordedPaymentIds = (record: JobRecord | undefined) => [record?.steps.payment.payment_id, record?.steps.verification?.payment_id];
  const recordOf = new Map(records.map((record) => [record.job_id, record]));
  let doubleCharges = 0;
  let unrecordedPayments = 0;
  for (const [reference, count] of countBy(objects.payments, (payment) => payment.merchant_reference_id ?? '')) {
    const jobId = jobOfReference.get(reference);
    const extra = jobId ? count - 1 : count;
    if (extra > 0) {
      doubleCharges += extra;
      if (jobId) harmed.set(jobId, 'double_charges');
    }
    const paymentIds = objects.payments.filter((payment) => payment.merchant_reference_id === reference).map((payment) => payment.id);
    if (jobId && !recordedPaymentIds(recordOf.get(jobId)).some((id) => id !== undefined && paymentIds.includes(id))) {
      unrecordedPayments += 1;
      harmed.set(jobId, 'unrecorded_payments');
    }
  }

  return {
    counters: {
      duplicate_customers: duplicateCustomers,
      duplicate_payment_methods: duplicatePaymentMethods,
      orphaned_payment_methods: orphanedPaymentMethods,
      double_charges: doubleCharges,
      unrecorded_payments: unrecordedPayments,
    },
    harmedJobIds: harmed,
  };
}

/** The evidence for one harmed job. */
export function evidence(jobId: string, harm: Harm, records: JobRecord[], objects: SimObjects, journal: JournalEntry[], logLines: string[]): HarmedJob {
  const record = records.find((candidate) => candidate.job_id === jobId);
  const jobLines = logLines.filter((line) => line.includes(jobId));
  const customerId = record?.steps.customer.customer_id;
  const reference = paymentReference(jobId);
  const methods = objects.payment_methods.filter((method) => method.customer_id === customerId);
  const ids = new Set([customerId, reference, customerReference(jobId), ...methods.map((method) => method.id)].filter((id): id is string => Boolean(id)));
  // A shared customer is touched by many jobs: only requests during this job's life are its evidence.
  const from = record ? Date.parse(record.created_at) - 1_000 : 0;
  const to = record ? Date.parse(record.updated_at) + 5_000 : Infinity;
  const requests = journal.filter(
    (entry) => Date.parse(entry.at) >= from && Date.parse(entry.at) <= to && [entry.customer_id, entry.payment_method_id, entry.reference, entry.acted_on].some((id) => id !== undefined && ids.has(id)),
  );
  return {
    harm,
    job_id: jobId,
    record,
    objects: {
      customers: objects.customers.filter((customer) => customer.id === customerId),
      payment_methods: methods,
      payments: objects.payments.filter((payment) => payment.customer_id === customerId),
    },
    requests,
    fault_sequence: sequenceOf(jobLines, journal),
    log_lines: jobLines,
  };
}

function sequenceOf(jobLines: string[], journal: JournalEntry[]): string[] {
  const byRequestId = new Map(journal.map((entry) => [entry.request_id, entry]));
  return jobLines.flatMap((line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return [];
    }
    const at = String(event.timestamp ?? '');
    if (event.message === 'Hyperswitch call') {
      const served = byRequestId.get(String(event.requestId));
      const fault = served?.fault ? ` [${served.fault}${served.acted_on ? ', acted' : ''}]` : '';
      return [`${at} ${event.operation} → ${event.status ?? 'no answer'}${fault}`];
    }
    if (event.message === 'Retrying Hyperswitch call') return [`${at} retry ${event.operation} after ${event.error}`];
    if (event.message === 'Simulated crash') return [`${at} worker crash ${event.point}`];
    if (typeof event.message === 'string' && /^Vault job/.test(event.message)) return [`${at} ${event.message}${event.code ? ` (${event.code})` : ''}`];
    return [];
  });
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The fault suite's wall time as its jobs grow. */
import { record, round } from './figures';

/** How the fault suite's wall time grows with its jobs: against the smallest run scaled linearly. */
export async function faultSuiteScaling(sizes: number[]): Promise<void> {
  const { runFaultSuite } = await import('../tests/faults/suite');
  const seconds: number[] = [];
  for (const jobs of sizes) {
    const summary = await runFaultSuite({ jobs, seed: 7 });
    seconds.push(summary.duration_ms / 1000);
    const linear = (seconds[0]! * jobs) / sizes[0]!;
    record({ name: `fault_suite_seconds_${jobs}`, ours: round(seconds.at(-1)!, 1), baseline: round(linear, 1), target: 'report (growth with the jobs)', met: true, unit: 's', detail: `${jobs} jobs, seed 7; baseline: the ${sizes[0]}-job run scaled linearly; ${summary.succeeded_jobs} succeeded` });
  }
}

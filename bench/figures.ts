/** The figures of one bench run: each against a baseline measured in the same run, with its target. */
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');
/** Where the bench builds its bundles. */
export const OUT = join(ROOT, '.bench');

export interface Figure {
  name: string;
  ours: number;
  baseline: number;
  ratio: number;
  target: string;
  met: boolean;
  unit: string;
  detail?: string;
}

export const figures: Figure[] = [];
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
export function record(figure: Omit<Figure, 'ratio'> & { ratio?: number }) {
  // Equal figures are a ratio of 1 (also both zero, e.g. reads a job does not make).
  const full = { ...figure, ratio: round(figure.ratio ?? (figure.ours === figure.baseline ? 1 : figure.ours / figure.baseline), 3) };
  figures.push(full);
  console.error(`  ${full.name}: ${full.ours} vs ${full.baseline} ${full.unit} (×${full.ratio}) ${full.met ? 'met' : 'NOT met'}`);
}
export const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
export const median = (values: number[]) => percentile(values, 50);

// allcounts' collation: identical outputs grouped, with the instruction counts that produced them.
import type { IcountRange, OutputGroup } from '../../core/api.js';

export interface Observation {
  output: string;
  from: number;
  to: number;
}

/** Groups observations by output, in order of first appearance; ranges merged and sorted. */
export function collateOutputs(observations: Iterable<Observation>): OutputGroup[] {
  const byOutput = new Map<string, { ranges: IcountRange[]; images: number }>();
  for (const o of observations) {
    let group = byOutput.get(o.output);
    if (!group) byOutput.set(o.output, (group = { ranges: [], images: 0 }));
    // Observations come point by point, so most extend the group's last range: merged at once, a
    // run of 10^6 points keeps a few ranges per output, not a pair per image.
    const last = group.ranges[group.ranges.length - 1];
    if (last && o.from <= last[1] + 1 && o.to >= last[0] - 1) {
      last[0] = Math.min(last[0], o.from);
      last[1] = Math.max(last[1], o.to);
    } else group.ranges.push([o.from, o.to]);
    group.images += 1;
  }
  const groups = [...byOutput].map(([output, g]) => ({ output, iterations: mergeRanges(g.ranges), images: g.images }));
  return groups.sort((a, b) => a.iterations[0]![0] - b.iterations[0]![0]);
}

/** Sorts ranges and merges the ones that overlap or touch. */
export function mergeRanges(ranges: readonly IcountRange[]): IcountRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: IcountRange[] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

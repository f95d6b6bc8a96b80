// allcounts' way of writing a set of iterations: "1-17,20".
import type { IcountRange } from '../core/api.js';

export function formatRanges(ranges: readonly IcountRange[]): string {
  return ranges.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(',');
}

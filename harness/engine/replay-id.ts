// Replay ids: short printable names of one crash image.
//   adr@12            the durable image after 12 events (every pending store lost)
//   adr@12/5:2,9:1    ... plus the first 2 pending 8-byte units of cache line 5 and 1 of line 9
//   adr@12/*          every pending store persisted
//   adr@12/*,5:0      every pending store persisted except line 5's, which keeps none
//   eadr@12           the image with every store of the first 12 events
import type { ModelName } from '../../core/api.js';

export interface ImageChoice {
  model: ModelName;
  point: number;
  /** Pending units kept per listed cache line. */
  kept: ReadonlyMap<number, number>;
  /** What lines not listed keep: none of their pending units (default) or all of them. */
  rest?: 'none' | 'all';
}

const ID_PATTERN = /^(eadr|adr)@(\d+)(?:\/(\*)?,?((?:\d+:\d+)(?:,\d+:\d+)*)?)?$/;

/**
 * Formats a choice. Given each pending line's unit count, a choice that keeps most lines whole
 * is written in the `*` form, so ids stay short either way.
 */
export function formatReplayId(choice: ImageChoice, units?: ReadonlyMap<number, number>): string {
  const keptOf = (line: number) => choice.kept.get(line) ?? (choice.rest === 'all' ? (units?.get(line) ?? 0) : 0);
  const lines = units ? [...units.keys()] : [...choice.kept.keys()];
  const full = units ? lines.filter((l) => keptOf(l) === units.get(l) && units.get(l)! > 0) : [];
  const useStar = full.length > 0 && full.length > lines.length / 2;
  const listed = lines
    .filter((l) => (useStar ? keptOf(l) !== units!.get(l) : keptOf(l) > 0))
    .sort((a, b) => a - b)
    .map((l) => `${l}:${keptOf(l)}`);
  if (useStar) return `${choice.model}@${choice.point}/*${listed.length > 0 ? `,${listed.join(',')}` : ''}`;
  return `${choice.model}@${choice.point}${listed.length > 0 ? `/${listed.join(',')}` : ''}`;
}

/** Parses a replay id; returns null when it is not one. */
export function parseReplayId(id: string): ImageChoice | null {
  const match = ID_PATTERN.exec(id.trim());
  if (!match || (match[3] === undefined && match[4] === undefined && id.includes('/'))) return null;
  const kept = new Map<number, number>();
  for (const pair of match[4]?.split(',') ?? []) {
    const [line, k] = pair.split(':').map(Number) as [number, number];
    kept.set(line, k);
  }
  return { model: match[1] as ModelName, point: Number(match[2]), kept, rest: match[3] ? 'all' : 'none' };
}

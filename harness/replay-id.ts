// Replay ids: short printable names of one crash image, `MODEL@POINT` or `MODEL@POINT/LINE:KEPT,...`.
// `adr@12` is the durable image after 12 events; `eadr@12` the image with every executed store;
// a `/LINE:KEPT` list says how many pending 8-byte units each listed cache line kept (in program order).
import type { ModelName } from '../core/api.js';

export interface ImageChoice {
  model: ModelName;
  point: number;
  /** Pending units kept per cache line; lines not listed keep none. */
  kept: ReadonlyMap<number, number>;
}

const ID_PATTERN = /^(eadr|adr)@(\d+)(?:\/((?:\d+:\d+)(?:,\d+:\d+)*))?$/;

export function formatReplayId(choice: ImageChoice): string {
  const lines = [...choice.kept].filter(([, k]) => k > 0).sort(([a], [b]) => a - b);
  const suffix = lines.length > 0 ? `/${lines.map(([line, k]) => `${line}:${k}`).join(',')}` : '';
  return `${choice.model}@${choice.point}${suffix}`;
}

/** Parses a replay id; returns null when it is not one. */
export function parseReplayId(id: string): ImageChoice | null {
  const match = ID_PATTERN.exec(id.trim());
  if (!match) return null;
  const kept = new Map<number, number>();
  for (const pair of match[3]?.split(',') ?? []) {
    const [line, k] = pair.split(':').map(Number) as [number, number];
    kept.set(line, k);
  }
  return { model: match[1] as ModelName, point: Number(match[2]), kept };
}

// Several pool files (core/pool-layout.ts): the engine works on one flat image, but a person reads
// offsets in the file they belong to. This pass rewrites every offset of a result — the stores a
// finding lost and kept, the events it names, its fix's lines, the lints' events — as an offset in
// its pool file, with the file's name beside it. With one pool file nothing changes.
import type { EventRef, FixSuggestion, LostStore, ScenarioResult } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { type PoolLayout, isMultiFile, locate } from '../../core/pool-layout.js';

/** The result with its offsets in their pool files (the result itself is changed and returned). */
export function inPoolFiles(result: ScenarioResult, layout: PoolLayout | undefined): ScenarioResult {
  if (!layout || !isMultiFile(layout)) return result;
  for (const finding of result.findings) {
    if (finding.lastEvent) finding.lastEvent = eventInFile(finding.lastEvent, layout);
    finding.lostStores = storesInFiles(finding.lostStores, layout);
    finding.keptStores = storesInFiles(finding.keptStores, layout);
    if (finding.fix) finding.fix = fixInFiles(finding.fix, layout);
  }
  result.perfFindings = result.perfFindings.map((p) => ({ ...p, event: eventInFile(p.event, layout) }));
  return result;
}

export function eventInFile(event: EventRef, layout: PoolLayout | undefined): EventRef {
  if (!layout || !isMultiFile(layout) || event.offset === undefined || event.pool !== undefined) return event;
  const at = locate(layout, event.offset);
  return at ? { ...event, offset: at.offset, pool: at.file.name } : event;
}

export function storesInFiles(stores: readonly LostStore[], layout: PoolLayout | undefined): LostStore[] {
  if (!layout || !isMultiFile(layout)) return [...stores];
  return stores.map((s) => {
    if (s.pool !== undefined) return s;
    const at = locate(layout, s.offset);
    if (!at) return s;
    const base = s.offset - at.offset;
    return {
      ...s,
      offset: at.offset,
      pool: at.file.name,
      ...(s.store ? { store: { offset: s.store.offset - base, size: s.store.size } } : {}),
    };
  });
}

function fixInFiles(fix: FixSuggestion, layout: PoolLayout): FixSuggestion {
  const lines = fix.lines.map((line) => locate(layout, line * LINE_BYTES));
  return {
    ...fix,
    stores: storesInFiles(fix.stores, layout),
    lines: lines.map((at, i) => (at ? at.offset / LINE_BYTES : fix.lines[i]!)),
    linePools: lines.map((at) => at?.file.name ?? ''),
    ...(fix.anchor ? { anchor: eventInFile(fix.anchor, layout) } : {}),
    ...(fix.before ? { before: storesInFiles([fix.before], layout)[0]! } : {}),
  };
}

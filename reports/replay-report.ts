// What `replay` prints: the crash point, the stores the image kept and lost, the check's output
// and the verdict — for a replay id (every kind of scenario, and `check --replay`) and for a saved
// failure. Words come from reports/format.ts like every other report's.
import type { Verdict } from '../core/api.js';
import type { ReplayRecord, SavedReplayRecord } from '../harness/judge/replay.js';
import type { SavedCheck } from '../harness/judge/saved-failures.js';
import type { LostStore } from '../core/api.js';
import {
  KEPT_TITLE,
  LOST_TITLE,
  TORN_NOTE,
  failureText,
  findingLabel,
  indent,
  pointText,
  storeText,
  tornSeqs,
  tornText,
} from './format.js';

export function renderReplay(r: ReplayRecord): string {
  const lines = [
    `replay ${r.id} of ${r.subject} (model ${r.model}, oracle ${r.oracle})`,
    traceLine(r),
    pointText({
      crashPoint: r.crashPoint,
      icountFrom: r.icountFrom,
      icountTo: r.icountTo,
      ...(r.lastEvent ? { lastEvent: r.lastEvent } : {}),
    }),
    ...storeList(KEPT_TITLE, storeTexts(r.kept, r)),
    ...storeList(LOST_TITLE, storeTexts(r.lost, r)),
    ...(r.out ? [`image written to ${r.out}`] : []),
    'check output:',
    indent(r.output || '(no output)'),
    verdictLine(r.verdict),
  ];
  return `${lines.join('\n')}\n`;
}

function traceLine(r: ReplayRecord): string {
  switch (r.trace.kind) {
    case 'same':
      return `trace ${r.trace.digest}: the one the id came from`;
    case 'unchecked':
      return `trace ${r.trace.digest}: not checked (the id carries no ~DIGEST)`;
    case 'different':
      return `trace ${r.trace.digest}: NOT the one the id came from (${r.trace.idDigest}); replayed anyway (--any-trace), so this may be another image than the one reported`;
  }
}

/** The stores of one list, a store the image both kept part of and lost part of said to be torn. */
function storeTexts(stores: readonly LostStore[], r: Pick<ReplayRecord, 'lost' | 'kept'>): string[] {
  const torn = tornSeqs({ lostStores: r.lost, keptStores: r.kept });
  return stores.map((s) => `${storeText(s)}${torn.has(s.seq) && !tornText(s) ? ` ${TORN_NOTE}` : ''}`);
}

function storeList(title: string, stores: string[]): string[] {
  return stores.length === 0 ? [`${title}: none`] : [`${title}:`, ...stores.map((s) => `  ${s}`)];
}

function verdictLine(v: Verdict): string {
  return `verdict: ${v.status}${v.status === 'consistent' ? '' : ` — ${failureText(v.failure)}`}`;
}

/** Control characters from a file someone else wrote are shown, never sent to the terminal. */
function visible(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What replaying a saved failure will run, for the confirmation of an untrusted file. */
export function savedCheckText(check: SavedCheck): string {
  if (check.kind === 'command') return `the command: ${visible(check.command)}`;
  if (check.file) return `the check of the scenario file ${visible(check.file)}`;
  return `the check of scenario ${visible(check.scenario)} (pmfit's built-in of that name, else export ${visible(check.exportName)} of ${visible(check.module)})`;
}

export function untrustedNotice(path: string, check: SavedCheck, imageBytes: number, keyPath: string): string {
  return [
    `${path} was not written by you on this machine (its signature does not verify with ${keyPath}).`,
    `Replaying it runs ${savedCheckText(check)}`,
    `on a crash image of ${imageBytes} bytes.`,
  ].join('\n');
}

export function renderSavedReplay(r: SavedReplayRecord): string {
  const s = r.saved;
  const f = s.finding;
  const label = typeof f.class === 'string' && f.failure ? findingLabel(f) : 'finding';
  const lines = [
    `replay of saved failure ${r.path}`,
    `${visible(label)} in ${s.scenario} (model ${s.model}, strategy ${s.strategy}, seed ${s.seed}), replay id ${s.replayId}`,
    `found by: pmfit on ${s.scenario} with model ${s.model}, strategy ${s.strategy}, seed ${s.seed}`,
    `crash point ${f.crashPoint}: instructions ${f.icountFrom}-${f.icountTo}`,
    `check: ${savedCheckText(s.check)}`,
    ...storeList(
      LOST_TITLE,
      f.lostStores.map((x) => visible(storeText(x))),
    ),
    ...storeList(
      KEPT_TITLE,
      f.keptStores.map((x) => visible(storeText(x))),
    ),
    'check output:',
    indent(r.output || '(no output)'),
    verdictLine(r.verdict),
    {
      consistent: 'the failure no longer reproduces',
      inconsistent: 'the failure reproduces',
      unknown: 'the check could not give a verdict: the failure is neither confirmed nor gone',
    }[r.verdict.status],
  ];
  return `${lines.join('\n')}\n`;
}

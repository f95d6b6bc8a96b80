// Progress of a long run on a terminal: crash points done, images per second, ETA. Written to
// stderr only when it is a terminal, at most a few times a second, and erased at the end.
import type { Progress } from '../engine/engine.js';

export interface ProgressLine {
  update(label: string): (p: Progress) => void;
  done(): void;
}

const SILENT: ProgressLine = { update: () => () => {}, done: () => {} };

export function progressLine(enabled = process.stderr.isTTY === true): ProgressLine {
  if (!enabled) return SILENT;
  let last = 0;
  let shown = false;
  return {
    update(label) {
      const started = Date.now();
      return (p) => {
        const now = Date.now();
        if (now - last < 250 && p.pointsDone < p.pointsTotal) return;
        last = now;
        const seconds = Math.max((now - started) / 1000, 0.001);
        const eta = p.pointsDone > 0 ? ((p.pointsTotal - p.pointsDone) * seconds) / p.pointsDone : 0;
        const pct = Math.floor((100 * p.pointsDone) / p.pointsTotal);
        process.stderr.write(
          `\r\x1b[K${label}: crash points ${p.pointsDone}/${p.pointsTotal} (${pct}%), ${Math.round(p.distinct / seconds)} images/s, failing images ${p.failing}, ETA ${eta.toFixed(0)} s`,
        );
        shown = true;
      };
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

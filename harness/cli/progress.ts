// Progress of a long run: crash points done, images per second, failing images. On a terminal, one
// line on stderr rewritten at most a few times a second and erased at the end. Otherwise (CI, a
// pipe) a log line every PMFIT_PROGRESS_INTERVAL_MS (10 s by default) and one when each run ends,
// so a long run in CI shows it is alive. Nothing with --quiet.
import type { Logger } from '../../core/support/log.js';
import type { Progress } from '../engine/engine.js';
import { progressIntervalMs } from './options.js';

export interface ProgressLine {
  update(label: string): (p: Progress) => void;
  done(): void;
}

const SILENT: ProgressLine = { update: () => () => {}, done: () => {} };

/** The progress of a run: the terminal line, the log lines when stderr is not a terminal, or none. */
export function runProgress(options: { quiet: boolean; log?: Logger; tty?: boolean }): ProgressLine {
  if (options.quiet) return SILENT;
  if (options.tty ?? process.stderr.isTTY === true) return progressLine(true);
  return options.log ? progressLog(options.log, progressIntervalMs()) : SILENT;
}

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

/** Where one engine run (one scenario and model) is. */
interface RunState {
  label: string;
  started: number;
  progress: Progress;
}

/**
 * Progress as log lines (JSON when stderr is not a terminal): every `intervalMs` the state of the
 * run going on, and the last state of each run when it ends (`done: true`). One label's callback may
 * serve several runs in turn (each model of a native program): a run starts again from its first
 * point, which is how the end of the previous one is told.
 */
export function progressLog(log: Logger, intervalMs: number): ProgressLine {
  let current: RunState | undefined;
  let timer: NodeJS.Timeout | undefined;
  const write = (state: RunState, done: boolean) => {
    const p = state.progress;
    const seconds = Math.max((Date.now() - state.started) / 1000, 0.001);
    const rate = Math.round(p.distinct / seconds);
    const pct = Math.floor((100 * p.pointsDone) / p.pointsTotal);
    log.info(
      {
        progress: state.label,
        pointsDone: p.pointsDone,
        pointsTotal: p.pointsTotal,
        images: p.images,
        distinct: p.distinct,
        failing: p.failing,
        rate,
        seconds: Math.round(seconds),
        ...(done ? { done: true } : {}),
      },
      `${state.label}: crash points ${p.pointsDone}/${p.pointsTotal} (${pct}%), ${p.distinct} distinct images (${rate}/s), failing images ${p.failing}${done ? ', done' : ''}`,
    );
  };
  const end = () => {
    if (current) write(current, true);
    current = undefined;
  };
  return {
    update(label) {
      timer ??= setInterval(() => current && write(current, false), intervalMs);
      // the timer alone must not keep the process alive
      timer.unref();
      return (progress) => {
        if (current && (current.label !== label || progress.pointsDone < current.progress.pointsDone)) end();
        if (current) current.progress = progress;
        else current = { label, started: Date.now(), progress };
        if (progress.pointsDone === progress.pointsTotal) end();
      };
    },
    done() {
      end();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

// Ctrl-C: the first interrupt asks the running check to stop starting new work, finish what is in
// flight and write its partial report marked incomplete; a second one (or an interrupt when no run
// listens) removes the temporary files and ends the process with the signal's default action.
const graceful = new AbortController();
let listening = 0;
let installed = false;
const cleanups: Array<() => void> = [];

/** The signal a long run watches; while it is held, the first Ctrl-C only aborts it. */
export function holdInterrupts(): { signal: AbortSignal; release(): void } {
  installInterruptHandlers();
  listening += 1;
  return { signal: graceful.signal, release: () => (listening -= 1) };
}

/** Registers work to do before the process dies of a signal (temporary directories). */
export function onHardInterrupt(cleanup: () => void): void {
  installInterruptHandlers();
  cleanups.push(cleanup);
}

export function wasInterrupted(): boolean {
  return graceful.signal.aborted;
}

function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (listening > 0 && !graceful.signal.aborted) {
        process.stderr.write(
          `\npmfit: ${signal}: finishing the checks in flight and writing a partial report (again to stop at once)\n`,
        );
        graceful.abort();
        return;
      }
      for (const cleanup of cleanups) cleanup();
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  }
}

// Runs an external check command on crash images: each of --jobs slots owns a private image file
// (tmpfs when there is one) that `{pool}` in the command stands for. A check killed by a signal or
// past its timeout is an outcome of its own kind; captured output is bounded.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOutcome, Checker } from '../../core/api.js';
import { runCommand, substitutePool } from '../../core/support/run-command.js';

export interface ExternalCheckOptions {
  /** The check command, run by /bin/sh; `{pool}` stands for the image file. */
  command: string;
  jobs: number;
  timeoutMs: number;
  dir: string;
  env?: Record<string, string>;
}

export class ExternalCheckPool implements Checker {
  private readonly free: string[] = [];
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: ExternalCheckOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++) this.free.push(join(options.dir, `check-${i}.pool`));
  }

  async check(image: Buffer): Promise<CheckOutcome> {
    const slot = await this.acquire();
    try {
      writeFileSync(slot, image);
      // PMFIT_POOL: the image path for checks that read it from the environment (--check-reads-env).
      const env = { ...this.options.env, PMFIT_POOL: slot };
      return await runCommand(substitutePool(this.options.command, slot), { ...this.options, env });
    } catch (err) {
      return { output: '', passed: false, error: `could not run the check: ${(err as Error).message}` };
    } finally {
      this.release(slot);
    }
  }

  async close(): Promise<void> {}

  private acquire(): Promise<string> {
    const slot = this.free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.free.pop()!)));
  }

  private release(slot: string): void {
    this.free.push(slot);
    this.waiting.shift()?.();
  }
}

// Runs an external check command on crash images: each of --jobs slots owns a private image file
// (in pmfit's temp dir) that `{pool}` in the command stands for. A check killed by a signal or
// past its timeout is an outcome of its own kind; captured output is bounded and the slot's path in
// it reads `{pool}`. A check past its timeout is run once more on the same image before it counts
// as timed out: one slow start is not a hang.
import { join } from 'node:path';
import type { CheckOutcome, Checker, LineImage } from '../../core/api.js';
import { hidePath, rerunOnTimeout, runCommand, substitutePools } from '../../core/support/run-command.js';
import type { PoolLayout } from '../../core/pool-layout.js';
import { SlotImage } from './slot-image.js';

export interface ExternalCheckOptions {
  /** The check command, run by /bin/sh; `{pool}` stands for the image file. */
  command: string;
  jobs: number;
  timeoutMs: number;
  dir: string;
  env?: Record<string, string>;
  /** Several pools (core/pool-layout.ts): each slot keeps a file per pool, `{NAME}` stands for it. */
  layout?: PoolLayout;
}

/**
 * The environment that tells a check where its image is (--check-reads-env): PMFIT_POOL, the first
 * pool's path, and with several pools PMFIT_POOL_NAME for each (NAME upper-cased).
 */
export function poolEnv(placeholders: ReadonlyMap<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, path] of placeholders) {
    env.PMFIT_POOL ??= path;
    if (placeholders.size > 1) env[`PMFIT_POOL_${name.toUpperCase()}`] = path;
  }
  return env;
}

export class ExternalCheckPool implements Checker {
  private readonly free: SlotImage[] = [];
  private readonly slots: SlotImage[] = [];
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: ExternalCheckOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++)
      this.slots.push(new SlotImage(join(options.dir, `check-${i}.pool`), options.layout));
    this.free.push(...this.slots);
  }

  async check(image: Buffer | LineImage): Promise<CheckOutcome> {
    const slot = await this.acquire();
    try {
      const command = substitutePools(this.options.command, slot.placeholders);
      // PMFIT_POOL: the image path for checks that read it from the environment (--check-reads-env).
      const options = { ...this.options, env: { ...this.options.env, ...poolEnv(slot.placeholders) } };
      // each attempt presents the image again: the check may have written to or removed its file
      const outcome = await rerunOnTimeout(async () => {
        slot.present(image);
        try {
          return await runCommand(command, options);
        } finally {
          slot.checked();
        }
      });
      return hidePath(outcome, slot.placeholders);
    } catch (err) {
      return { kind: 'error', output: '', error: `could not run the check: ${(err as Error).message}` };
    } finally {
      this.release(slot);
    }
  }

  async close(): Promise<void> {
    for (const slot of this.slots) slot.close();
  }

  private acquire(): Promise<SlotImage> {
    const slot = this.free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.free.pop()!)));
  }

  private release(slot: SlotImage): void {
    this.free.push(slot);
    this.waiting.shift()?.();
  }
}

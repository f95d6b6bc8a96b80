// pino logs on stderr: readable on a terminal, JSON lines otherwise.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(level: string): Logger {
  const options = { level, base: undefined };
  if (process.stderr.isTTY) return pino(options, pretty({ destination: 2, sync: true, ignore: 'pid,hostname' }));
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

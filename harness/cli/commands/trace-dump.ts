// `pmfit trace dump FILE`: a trace, readably, one event a line. The file is untrusted: anything
// that is not a regular file is refused before it is opened (a FIFO would block the read
// forever), and every format error is one line naming the file.
import { DEFAULT_POOL_NAME, fileName } from '../../../core/pool-layout.js';
import type { PoolDescriptor } from '../../../core/api.js';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { TraceEvent } from '../../../core/api.js';
import { readTrace } from '../../../core/trace/reader.js';
import { FILE_PREAMBLE_BYTES, RECORD_HEAD_BYTES } from '../../../core/trace/format.js';
import { eventRef } from '../../engine/crash-points.js';
import { eventText } from '../../../reports/format.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';

export function traceDumpCommand(argv: { file: string }): number {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(argv.file);
  } catch {
    throw new UsageError(`trace file ${argv.file} does not exist`);
  }
  if (!stat.isFile())
    throw new UsageError(
      `trace file ${argv.file} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}: name a trace written by pmfit check --save-trace`,
    );
  checkLengths(argv.file, stat.size);
  try {
    // read whole into the event table (some 64 bytes an event): one reader for every command
    const stream = readTrace(argv.file);
    const header = stream.header as unknown;
    if (typeof header !== 'object' || header === null || !Array.isArray((header as { pools?: unknown }).pools))
      throw new UsageError(`${argv.file}: not a readable pmfit trace: its header has no pools list`);
    const out: string[] = [
      `# pmfit trace v${stream.header.formatVersion}, source ${stream.header.source}, program ${JSON.stringify(stream.header.program)}`,
    ];
    for (const pool of stream.header.pools)
      out.push(`# pool ${pool.id}${poolName(pool)}: ${pool.path} (${pool.size} bytes)`);
    // several pool files: each event names its file, with the offset in it, as findings do
    const names = stream.header.pools.length > 1 ? stream.header.pools.map((p) => fileName(poolFile(p))) : undefined;
    for (const event of stream.events) {
      const thread = event.thread ? `  (thread ${event.thread})` : '';
      const ref = eventRef(event);
      const named = names && ref.offset !== undefined ? { ...ref, pool: names[event.pool] ?? String(event.pool) } : ref;
      out.push(`${String(event.icount).padStart(8)}  ${eventText(named)}${frameText(event)}${thread}`);
      if (out.length >= 4096) process.stdout.write(`${out.splice(0).join('\n')}\n`);
    }
    for (const m of stream.mappings)
      out.push(
        `# mapping of pool ${m.pool}: base 0x${m.base.toString(16)}, ${m.length} bytes at file offset ${m.fileOffset}`,
      );
    for (const o of stream.objects ?? [])
      out.push(
        `# code of ${o.path}${o.main ? ' (main binary)' : ''}: ${o.user ? "the user's" : 'library'}, 0x${o.start.toString(16)}-0x${o.end.toString(16)}, bias 0x${o.bias.toString(16)}`,
      );
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.clean;
  } catch (err) {
    // The reader's own errors, and what a corrupt file makes it trip over (a null or absurd header, a
    // record longer than the file or than a Buffer can be): all say the file is not a readable trace.
    if (
      err instanceof Error &&
      (err.name === 'TraceFormatError' || err instanceof RangeError || err instanceof TypeError)
    )
      throw new UsageError(`${argv.file}: not a readable pmfit trace: ${err.message.split('\n')[0]}`);
    throw err;
  }
}

function poolFile(p: PoolDescriptor) {
  return { pool: p.name ?? DEFAULT_POOL_NAME, ...(p.part !== undefined ? { part: p.part } : {}), size: p.size };
}

function poolName(p: PoolDescriptor): string {
  return p.name !== undefined ? ` (${fileName(poolFile(p))})` : '';
}

/** The user frame of a native event, as its frame record says (docs/trace-format.md, "User frames"). */
function frameText(event: TraceEvent): string {
  if (event.outsideUserCode) return '  [outside the user code]';
  if (event.callerPc === undefined) return '';
  // the site already is the caller's line: say through which function, and where the call is when no line is known
  const callee = event.via ?? (event.calleePc ? `0x${event.calleePc.toString(16)}` : 'a function');
  return `  [via ${callee}${event.site ? '' : ` called at 0x${event.callerPc.toString(16)}`}]`;
}

/**
 * Walks the record heads (skipping payloads) before the reader runs, so a corrupt length — a
 * header or record claiming more bytes than the file has — is refused instead of making the reader
 * allocate gigabytes for it.
 */
function checkLengths(file: string, size: number): void {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let chunkAt = 0;
    let chunkLen = 0;
    const read = (at: number, n: number): Buffer | undefined => {
      if (at < chunkAt || at + n > chunkAt + chunkLen) {
        chunkAt = at;
        chunkLen = readSync(fd, chunk, 0, chunk.length, at);
      }
      return at + n <= chunkAt + chunkLen ? chunk.subarray(at - chunkAt, at - chunkAt + n) : undefined;
    };
    const pre = read(0, FILE_PREAMBLE_BYTES);
    if (!pre) throw new UsageError(`${file}: not a readable pmfit trace: shorter than its preamble`);
    const headerLen = pre.readUInt32LE(12);
    let at = FILE_PREAMBLE_BYTES + headerLen;
    if (at > size)
      throw new UsageError(`${file}: not a readable pmfit trace: header of ${headerLen} bytes in a file of ${size}`);
    while (at < size) {
      const head = read(at, RECORD_HEAD_BYTES);
      if (!head) throw new UsageError(`${file}: not a readable pmfit trace: truncated record head at byte ${at}`);
      const len = head.readUInt32LE(4);
      if (at + RECORD_HEAD_BYTES + len > size)
        throw new UsageError(
          `${file}: not a readable pmfit trace: record at byte ${at} claims ${len} bytes, past the end of the file`,
        );
      at += RECORD_HEAD_BYTES + len;
    }
  } finally {
    closeSync(fd);
  }
}

// `pmfit trace dump FILE`: a trace, readably, one event a line.
import { existsSync } from 'node:fs';
import { streamTrace } from '../../../core/trace/reader.js';
import { TraceFormatError } from '../../../core/trace/format.js';
import { eventRef } from '../../engine/crash-points.js';
import { eventText } from '../../../reports/format.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';

export function traceDumpCommand(argv: { file: string }): number {
  if (!existsSync(argv.file)) throw new UsageError(`trace file ${argv.file} does not exist`);
  try {
    const stream = streamTrace(argv.file);
    const out: string[] = [
      `# pmfit trace v${stream.header.formatVersion}, source ${stream.header.source}, program ${JSON.stringify(stream.header.program)}`,
    ];
    for (const pool of stream.header.pools) out.push(`# pool ${pool.id}: ${pool.path} (${pool.size} bytes)`);
    for (const event of stream.events) {
      out.push(`${String(event.icount).padStart(8)}  ${eventText(eventRef(event))}`);
      if (out.length >= 4096) process.stdout.write(`${out.splice(0).join('\n')}\n`);
    }
    for (const m of stream.mappings)
      out.push(
        `# mapping of pool ${m.pool}: base 0x${m.base.toString(16)}, ${m.length} bytes at file offset ${m.fileOffset}`,
      );
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.clean;
  } catch (err) {
    if (err instanceof TraceFormatError) throw new UsageError(`${argv.file}: ${err.message}`);
    throw err;
  }
}

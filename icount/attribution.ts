// The user's line of every native event (docs/trace-format.md, "User frames"). The tracer says, per
// event, whether its instruction is the user's code, or else which call of the user's code led to
// it and what function that call entered, or that no user frame was live; it also lists the code
// objects the program ran with their load biases. Here those pcs become `site` (file:line in the
// right object, by addr2line), `via` (the name of the function the user called) and
// `outsideUserCode`.
import { isAbsolute } from 'node:path';
import type { CodeObject, Trace } from '../core/api.js';
import type { EventTable } from '../core/trace/event-table.js';
import { execText, resolveSites } from './driver.js';

/** Sets `site`, `via` and `outsideUserCode` on the trace's events, where it can know them. */
export async function attributeEvents(trace: Trace, binary: string): Promise<void> {
  const objects = trace.objects ?? [];
  if (objects.length === 0) return attributeInMain(trace, binary);
  const linePcs = new Map<CodeObject, Set<number>>();
  const calleePcs = new Map<CodeObject, Set<number>>();
  const add = (table: Map<CodeObject, Set<number>>, pc: number) => {
    const object = objectAt(objects, pc);
    if (!object) return;
    const set = table.get(object) ?? new Set<number>();
    set.add(pc);
    table.set(object, set);
  };
  const events = trace.events;
  for (let i = 0; i < events.length; i++) {
    if (events.outsideUserCode(i)) continue;
    add(linePcs, linePc(events, i));
    const callee = events.caller(i)?.calleePc;
    if (callee) add(calleePcs, callee);
  }
  const lines = new Map<number, string>();
  const names = new Map<number, string>();
  for (const [object, pcs] of linePcs) {
    const sites = await resolveSites(object.path, [...pcs], object.bias).catch(() => new Map<number, string>());
    for (const [pc, site] of sites) lines.set(pc, site);
  }
  for (const [object, pcs] of calleePcs) {
    const symbols = await symbolsOf(object.path);
    for (const pc of pcs) {
      const name = symbols.nameAt(pc - object.bias);
      if (name) names.set(pc, name);
    }
  }
  for (let i = 0; i < events.length; i++) {
    if (events.outsideUserCode(i)) continue;
    const site = lines.get(linePc(events, i));
    if (site && !site.startsWith('??')) events.setSite(i, isAbsolute(site) ? shortPath(site) : site);
    const callee = events.caller(i)?.calleePc;
    const via = callee ? names.get(callee) : undefined;
    if (via) events.setVia(i, via);
  }
}

/** The pc whose line is event i's site: its user caller's, or its own. */
function linePc(events: EventTable, i: number): number {
  return events.caller(i)?.callerPc ?? events.pc(i);
}

function objectAt(objects: readonly CodeObject[], pc: number): CodeObject | undefined {
  return objects.find((o) => pc >= o.start && pc < o.end);
}

/** A trace without object records (format version 1): every pc is looked up in the main binary. */
async function attributeInMain(trace: Trace, binary: string): Promise<void> {
  const mainBase = trace.header.mainBase ?? 0;
  const events = trace.events;
  const unique = new Set<number>();
  for (let i = 0; i < events.length; i++) if (events.pc(i) !== 0) unique.add(events.pc(i));
  if (unique.size === 0) return;
  const sites = await resolveSites(binary, [...unique], mainBase);
  for (let i = 0; i < events.length; i++) {
    const site = sites.get(events.pc(i));
    if (site && !site.startsWith('??')) events.setSite(i, isAbsolute(site) ? shortPath(site) : site);
  }
}

export function shortPath(file: string): string {
  const cwd = `${process.cwd()}/`;
  return file.startsWith(cwd) ? file.slice(cwd.length) : file;
}

/** The functions of one object by link-time address: its PLT entries, symbols and dynamic symbols. */
export interface SymbolTable {
  nameAt(address: number): string | undefined;
}

/**
 * The symbol table of an object file. A call from the user's code usually enters a PLT entry of the
 * user's own object (`memcpy@plt`): that is the name the user wrote, better than the ifunc's
 * implementation (`__memmove_avx_unaligned_erms`) it jumps to. A call through the GOT (-fno-plt)
 * enters the library function itself, named by the library's dynamic symbols.
 */
export async function symbolsOf(path: string): Promise<SymbolTable> {
  const exact = new Map<number, string>();
  const sized: { start: number; end: number; name: string }[] = [];
  const plt = await execText('objdump', ['-d', '-j', '.plt', '-j', '.plt.sec', path]).catch(() => '');
  for (const m of plt.matchAll(/^([0-9a-f]+) <([^>]+)@plt>:$/gm)) exact.set(Number.parseInt(m[1]!, 16), m[2]!);
  for (const args of [
    ['--defined-only', '-S'],
    ['-D', '--defined-only', '-S'],
  ]) {
    const text = await execText('nm', [...args, path]).catch(() => '');
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?([TtWwi]) (\S+)$/.exec(line);
      if (!m) continue;
      const start = Number.parseInt(m[1]!, 16);
      const name = m[4]!.replace(/@.*$/, '');
      if (!exact.has(start)) exact.set(start, name);
      if (m[2]) sized.push({ start, end: start + Number.parseInt(m[2], 16), name });
    }
  }
  return {
    nameAt: (address) => exact.get(address) ?? sized.find((s) => address >= s.start && address < s.end)?.name,
  };
}

// The inlined copies of a program's functions, read from its debug info, for `--from`/`--to`/
// `--ops-between` on a function the compiler inlined: where each copy begins (DW_AT_entry_pc) and
// which addresses are its code (DW_AT_low_pc/DW_AT_high_pc or DW_AT_ranges) — what the tracer needs
// to begin and end a call of a copy (icount/plugin/tracer-inlined.c).
//
// The DWARF comes from binutils' readelf, which every system that builds C has: its text dumps of
// .debug_info (the DIEs), .debug_abbrev (the form of each attribute: a DW_AT_high_pc is an address
// or a length, and the text does not say which) and the range lists (printed as absolute addresses,
// the bases applied). The dumps are streamed line by line: a large program's run to gigabytes.
import { spawn } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One inlined copy of a function, in link-time addresses (the tracer adds the load bias). */
export interface InlinedInstance {
  /** Where a call of the copy begins: its DW_AT_entry_pc, else its lowest address. */
  entry: number;
  /** Its code, [lo, hi) pairs in address order. */
  ranges: Array<[number, number]>;
}

export interface DebugFunctions {
  /** The program has DWARF (.debug_info). */
  hasDebugInfo: boolean;
  /** By function name (DW_AT_name and DW_AT_linkage_name): its inlined copies that have code. */
  inlined: Map<string, InlinedInstance[]>;
  /** The functions the debug info says were inlined (DW_AT_inline), with code or not. */
  declaredInline: Set<string>;
}

/** What one DIE said that matters here (the other attributes are skipped). */
interface Die {
  offset: number;
  tag: string;
  abbrevKey: string;
  /** The unit's DWARF version: 5 reads .debug_rnglists, older .debug_ranges. */
  version: number;
  attrs: Map<string, string>;
}

/** Functions (subprograms) by DIE offset: the names of an inlined copy's abstract origin. */
interface FunctionDie {
  name?: string;
  linkageName?: string;
  /** DW_AT_specification or DW_AT_abstract_origin: the DIE holding the name in C++ and LTO. */
  refs: number[];
  inline: boolean;
}

interface RawInstance extends InlinedInstance {
  /** The DIE of the function it is a copy of. */
  origin: number;
}

const cache = new Map<string, Promise<DebugFunctions>>();

/** The inlined copies in `binary`'s debug info, read once per binary (its path, size and time). */
export function debugFunctions(binary: string): Promise<DebugFunctions> {
  const key = binaryKey(binary);
  let result = cache.get(key);
  if (!result) {
    result = readDebugFunctions(binary);
    cache.set(key, result);
    result.catch(() => cache.delete(key));
  }
  return result;
}

function binaryKey(binary: string): string {
  try {
    const st = statSync(binary);
    return `${realpathSync(binary)}:${st.size}:${st.mtimeMs}`;
  } catch {
    return binary;
  }
}

async function readDebugFunctions(binary: string): Promise<DebugFunctions> {
  const [forms, ranges] = await Promise.all([readAbbrevForms(binary), readRangeLists(binary)]);
  const functions = new Map<number, FunctionDie>();
  const raw: RawInstance[] = [];
  let hasDebugInfo = false;
  let version = 0;
  let abbrevTable = 0;
  let die: Die | undefined;

  const finish = (d: Die | undefined): void => {
    if (!d) return;
    if (d.tag === 'DW_TAG_subprogram') functions.set(d.offset, functionDie(d));
    else if (d.tag === 'DW_TAG_inlined_subroutine') {
      const instance = rawInstance(d, forms, ranges);
      if (instance) raw.push(instance);
    }
  };
  await eachLine('readelf', ['--debug-dump=info', binary], (line) => {
    let m: RegExpExecArray | null;
    if ((m = /^\s*<\d+><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?/.exec(line))) {
      finish(die);
      die = undefined;
      const tag = m[3];
      if (tag === 'DW_TAG_subprogram' || tag === 'DW_TAG_inlined_subroutine')
        die = {
          offset: Number.parseInt(m[1]!, 16),
          tag,
          abbrevKey: `${abbrevTable}:${m[2]}`,
          version,
          attrs: new Map(),
        };
    } else if (die && (m = /^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s?(.*)$/.exec(line))) {
      die.attrs.set(m[1]!, m[2]!.trim());
    } else if ((m = /^\s*Version:\s+(\d+)/.exec(line))) {
      version = Number(m[1]);
    } else if ((m = /^\s*Abbrev Offset:\s+(0x[0-9a-f]+|\d+)/.exec(line))) {
      abbrevTable = Number(m[1]);
    } else if (line.includes('Compilation Unit @ offset')) {
      hasDebugInfo = true;
      finish(die);
      die = undefined;
    }
  });
  finish(die);
  return { hasDebugInfo, ...byName(functions, raw) };
}

function functionDie(d: Die): FunctionDie {
  const refs = ['DW_AT_specification', 'DW_AT_abstract_origin']
    .map((a) => reference(d.attrs.get(a)))
    .filter((r): r is number => r !== undefined);
  const name = d.attrs.get('DW_AT_name');
  const linkageName = d.attrs.get('DW_AT_linkage_name') ?? d.attrs.get('DW_AT_MIPS_linkage_name');
  return {
    ...(name ? { name: stringValue(name) } : {}),
    ...(linkageName ? { linkageName: stringValue(linkageName) } : {}),
    refs,
    inline: d.attrs.has('DW_AT_inline'),
  };
}

/** The copy an inlined-subroutine DIE describes, or undefined when it has no code (optimized away). */
function rawInstance(d: Die, forms: AbbrevForms, lists: RangeLists): RawInstance | undefined {
  const origin = reference(d.attrs.get('DW_AT_abstract_origin'));
  if (origin === undefined) return undefined;
  const form = forms.get(d.abbrevKey);
  const ranges: Array<[number, number]> = [];
  const low = numberValue(d.attrs.get('DW_AT_low_pc'));
  const high = numberValue(d.attrs.get('DW_AT_high_pc'));
  if (low !== undefined && high !== undefined) {
    // DWARF 4 and later let DW_AT_high_pc be a length (GCC and clang always make it one)
    const isAddress = form ? form.highPc === 'address' : d.version < 4;
    const hi = isAddress ? high : low + high;
    if (hi > low) ranges.push([low, hi]);
  }
  const rangesAt = d.attrs.get('DW_AT_ranges');
  if (rangesAt !== undefined && form?.ranges !== 'index') {
    const list = lists[d.version >= 5 ? 'rnglists' : 'ranges'].get(numberValue(rangesAt) ?? -1);
    if (list) ranges.push(...list);
  }
  if (ranges.length === 0) return undefined;
  ranges.sort((a, b) => a[0] - b[0]);
  const lowest = low ?? ranges[0]![0];
  const entryAt = numberValue(d.attrs.get('DW_AT_entry_pc'));
  let entry = lowest;
  if (entryAt !== undefined) entry = !form || form.entryPc === 'address' ? entryAt : lowest + entryAt;
  return { origin, entry, ranges };
}

/** Groups the copies by the names of the function each is a copy of. */
function byName(
  functions: Map<number, FunctionDie>,
  raw: RawInstance[],
): Pick<DebugFunctions, 'inlined' | 'declaredInline'> {
  const inlined = new Map<string, InlinedInstance[]>();
  const declaredInline = new Set<string>();
  const namesCache = new Map<number, string[]>();
  const namesOf = (offset: number): string[] => {
    let names = namesCache.get(offset);
    if (!names) {
      names = [...functionNames(functions, offset, 0)];
      namesCache.set(offset, names);
    }
    return names;
  };
  for (const [offset, f] of functions) if (f.inline) for (const n of namesOf(offset)) declaredInline.add(n);
  for (const r of raw) {
    for (const name of namesOf(r.origin)) {
      const list = inlined.get(name) ?? [];
      list.push({ entry: r.entry, ranges: r.ranges });
      inlined.set(name, list);
    }
  }
  for (const list of inlined.values()) list.sort((a, b) => a.entry - b.entry);
  return { inlined, declaredInline };
}

/** A function DIE's names, following its specification and abstract origin (a few hops at most). */
function functionNames(functions: Map<number, FunctionDie>, offset: number, hops: number): Set<string> {
  const f = functions.get(offset);
  const names = new Set<string>();
  if (!f || hops > 4) return names;
  if (f.name) names.add(f.name);
  if (f.linkageName) names.add(f.linkageName);
  for (const ref of f.refs) for (const n of functionNames(functions, ref, hops + 1)) names.add(n);
  return names;
}

/** `<0x4b6>` → 0x4b6 (readelf prints references as .debug_info offsets). */
function reference(value: string | undefined): number | undefined {
  const m = value ? /^<(0x[0-9a-f]+)>/.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}

/** The number readelf printed (`0x10b3`, `0`, or the last of `(index: 0x1): 0x10b3`). */
function numberValue(value: string | undefined): number | undefined {
  const m = value ? /(0x[0-9a-f]+|\d+)\s*(?:\(.*\))?$/.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}

/** A string attribute: `put`, or `(indirect string, offset: 0x7b): put`. */
function stringValue(value: string): string {
  const m = /^\((?:indirect|indexed)[^)]*\):\s*(.*)$/.exec(value);
  return m ? m[1]! : value;
}

/** Per abbreviation (`table offset:number`), the class of the forms whose reading depends on it. */
type AbbrevForms = Map<
  string,
  { highPc?: 'address' | 'constant'; entryPc?: 'address' | 'constant'; ranges?: 'offset' | 'index' }
>;

async function readAbbrevForms(binary: string): Promise<AbbrevForms> {
  const forms: AbbrevForms = new Map();
  let table = 0;
  let key: string | undefined;
  await eachLine('readelf', ['--debug-dump=abbrev', binary], (line) => {
    let m: RegExpExecArray | null;
    if ((m = /^\s*Number TAG \((0x[0-9a-f]+)\)/.exec(line))) {
      table = Number(m[1]);
    } else if ((m = /^\s*(\d+)\s+DW_TAG_\w+/.exec(line))) {
      key = `${table}:${m[1]}`;
    } else if (key && (m = /^\s*(DW_AT_high_pc|DW_AT_entry_pc|DW_AT_ranges)\s+(DW_FORM_\w+)/.exec(line))) {
      const entry = forms.get(key) ?? {};
      const form = m[2]!;
      const address = form === 'DW_FORM_addr' || form.startsWith('DW_FORM_addrx') || form === 'DW_FORM_GNU_addr_index';
      if (m[1] === 'DW_AT_high_pc') entry.highPc = address ? 'address' : 'constant';
      else if (m[1] === 'DW_AT_entry_pc') entry.entryPc = address ? 'address' : 'constant';
      else entry.ranges = form === 'DW_FORM_rnglistx' ? 'index' : 'offset';
      forms.set(key, entry);
    }
  });
  return forms;
}

/** The range lists by offset in their section: DWARF 5's .debug_rnglists and older .debug_ranges. */
interface RangeLists {
  rnglists: Map<number, Array<[number, number]>>;
  ranges: Map<number, Array<[number, number]>>;
}

async function readRangeLists(binary: string): Promise<RangeLists> {
  const lists: RangeLists = { rnglists: new Map(), ranges: new Map() };
  let section = lists.ranges;
  let current: Array<[number, number]> | undefined;
  await eachLine('readelf', ['--debug-dump=Ranges', binary], (line) => {
    let m: RegExpExecArray | null;
    if ((m = /Contents of the \.debug_(rnglists|ranges) section/.exec(line))) {
      section = m[1] === 'rnglists' ? lists.rnglists : lists.ranges;
      current = undefined;
    } else if (/^\s*Table at Offset/.test(line)) {
      current = undefined;
    } else if ((m = /^\s*([0-9a-f]{8,})\s+(.*)$/.exec(line))) {
      // a list is its lines up to <End of list>; its offset is its first line's (both versions)
      if (!current) {
        current = [];
        section.set(Number.parseInt(m[1]!, 16), current);
      }
      const rest = m[2]!;
      const pair = /^([0-9a-f]+)\s+([0-9a-f]+)\s*$/.exec(rest);
      if (rest.includes('<End of list>')) current = undefined;
      else if (pair) {
        const lo = Number.parseInt(pair[1]!, 16);
        const hi = Number.parseInt(pair[2]!, 16);
        if (hi > lo) current.push([lo, hi]);
      }
    }
  });
  return lists;
}

/** Runs a command and hands each line of its output to `onLine`; a failure to run reads as no output. */
function eachLine(cmd: string, argv: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', onLine);
    child.on('error', () => resolve());
    lines.on('close', () => resolve());
  });
}

/** The tracer's file of inlined copies (tracer-inlined.c): one `ROLE ENTRY LO-HI...` line per copy. */
export function inlinedCopiesFile(
  roles: ReadonlyArray<{ role: 'from' | 'to' | 'ops'; instances: readonly InlinedInstance[] }>,
): string {
  const hex = (n: number): string => n.toString(16);
  const lines = ['# pmfit inlined copies: ROLE ENTRY LO-HI... (link-time addresses, hex)'];
  for (const { role, instances } of roles)
    for (const i of instances)
      lines.push([role, hex(i.entry), ...i.ranges.map(([lo, hi]) => `${hex(lo)}-${hex(hi)}`)].join(' '));
  return `${lines.join('\n')}\n`;
}

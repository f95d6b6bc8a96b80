// A persistent singly linked list of u64 values, shared by the list-append scenarios.
// Layout: a header line (magic, head offset), then 64-byte node slots (magic, value, next).
import type { CheckResult, Pool } from '../core/api.js';

export const LIST_MAGIC = 0x31_54_53_49_4c_46_4d_50n; // "PMFLIST1"
export const NODE_MAGIC = 0x45_44_4f_4e_46_4d_50n; // "PMFNODE"
export const HEADER = { magic: 0, head: 8 } as const;
export const NODE = { magic: 0, value: 8, next: 16, bytes: 24 } as const;
export const FIRST_NODE = 64;
export const SLOT_BYTES = 64;
export const POOL_BYTES = 4096;

/** Formats an empty list. */
export function formatList(pool: Pool): void {
  pool.writeU64(HEADER.magic, LIST_MAGIC);
  pool.writeU64(HEADER.head, 0);
  pool.persist(0, 16);
}

/** Offset of the link to patch when appending: the header's head, or the tail node's next. */
export function tailLink(pool: Pool): number {
  let link: number = HEADER.head;
  for (let node = Number(pool.readU64(link)); node !== 0; node = Number(pool.readU64(link))) link = node + NODE.next;
  return link;
}

/** Writes a node's fields into slot `index` (not yet durable) and returns its offset. */
export function writeNode(pool: Pool, index: number, value: number): number {
  const node = FIRST_NODE + index * SLOT_BYTES;
  pool.writeU64(node + NODE.magic, NODE_MAGIC);
  pool.writeU64(node + NODE.value, value);
  pool.writeU64(node + NODE.next, 0);
  return node;
}

/** Recovery + check: walks the list; every reachable node must be whole and values 1, 2, 3… */
export function checkList(pool: Pool): CheckResult {
  if (pool.readU64(HEADER.magic) !== LIST_MAGIC)
    return { output: 'no list', passed: false, detail: 'the list header has no magic' };
  const values: string[] = [];
  const seen = new Set<number>();
  for (let node = Number(pool.readU64(HEADER.head)); node !== 0; node = Number(pool.readU64(node + NODE.next))) {
    const output = `list: ${values.join(' ')}`.trimEnd();
    if (node + SLOT_BYTES > pool.size || seen.has(node))
      return { output, passed: false, detail: `link to ${node} points outside the pool or loops` };
    seen.add(node);
    if (pool.readU64(node + NODE.magic) !== NODE_MAGIC)
      return {
        output,
        passed: false,
        detail: `node at ${node} is linked but not initialized (magic ${pool.readU64(node)})`,
      };
    const value = pool.readU64(node + NODE.value);
    if (value !== BigInt(values.length + 1))
      return { output, passed: false, detail: `node at ${node} holds ${value}, expected ${values.length + 1}` };
    values.push(value.toString());
  }
  return { output: `list: ${values.join(' ')}`.trimEnd(), passed: true };
}

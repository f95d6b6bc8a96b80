// The same append with the order wrong: the link is persisted before the node it points to,
// so a crash between the two leaves a durable link to a node that never reached pmem.
import type { Pool, TsScenario } from '../core/api.js';
import { NODE, POOL_BYTES, checkList, formatList, tailLink, writeNode } from './linked-list.js';
import { APPENDS } from './list-append.js';

const listAppendBuggy: TsScenario = {
  name: 'list-append-buggy',
  description: 'the same append with the link persisted before the node (buggy: adr finds it)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['eadr', 'adr'],
  setup: formatList,
  run(pool: Pool) {
    for (let i = 0; i < APPENDS; i++) {
      const node = writeNode(pool, i, i + 1);
      const link = tailLink(pool);
      pool.writeU64(link, node);
      pool.persist(link, 8);
      pool.persist(node, NODE.bytes);
      pool.marker('append');
    }
  },
  check: checkList,
};

export default listAppendBuggy;

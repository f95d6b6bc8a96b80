// A correct persistent list append: the node is made durable before the link that publishes it.
import type { Pool, TsScenario } from '../core/api.js';
import { NODE, POOL_BYTES, checkList, formatList, tailLink, writeNode } from './linked-list.js';

export const APPENDS = 3;

const listAppend: TsScenario = {
  name: 'list-append',
  description: 'persistent linked-list append, node persisted before the link (correct)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['eadr', 'adr'],
  setup: formatList,
  run(pool: Pool) {
    for (let i = 0; i < APPENDS; i++) {
      const node = writeNode(pool, i, i + 1);
      pool.persist(node, NODE.bytes);
      const link = tailLink(pool);
      pool.writeU64(link, node);
      pool.persist(link, 8);
      pool.marker('append');
    }
  },
  check: checkList,
};

export default listAppend;

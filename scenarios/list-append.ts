// Twins: a persistent list append. The correct one makes the node durable before the link that
// publishes it; the buggy one persists the link first, so a crash between the two leaves a durable
// link to a node that never reached pmem (found by adr; invisible under eadr).
import type { TsScenario } from '../core/api.js';
import { NODE, POOL_BYTES, checkList, formatList, tailLink, writeNode } from './linked-list.js';

export const APPENDS = 3;

export const correct: TsScenario = {
  name: 'list-append',
  description: 'persistent linked-list append, node persisted before the link (correct)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['eadr', 'adr'],
  setup: formatList,
  run(pool) {
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

export const buggy: TsScenario = {
  ...correct,
  name: 'list-append-buggy',
  description: 'the same append with the link persisted before the node (buggy: adr finds it)',
  run(pool) {
    for (let i = 0; i < APPENDS; i++) {
      const node = writeNode(pool, i, i + 1);
      const link = tailLink(pool);
      pool.writeU64(link, node);
      pool.persist(link, 8);
      pool.persist(node, NODE.bytes);
      pool.marker('append');
    }
  },
};

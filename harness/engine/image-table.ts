// The distinct images a run checked (RunLog.images), column by column. An image is found by its
// 128-bit digest in an open-addressing hash set of typed arrays, and numbered in the order it was
// first seen; its first crash point and its outcome (an index into the few distinct outcomes) are
// typed-array columns. A replay id is kept as text only when it is not the bare `MODEL@POINT` of
// its first point (eadr and strict ids always are), and a description only for the images that
// fail (describe-images.ts). So an image costs ~40 bytes, where a record object keyed by its digest
// string, with its id string, in an object of a million keys cost ~220 (and a map of lookup keys
// besides). Records are made on demand; JSON.stringify writes the object of records a log of
// ImageRecord objects would write, key for key.
import type { CheckOutcome, ImageDescription, ImageList, ImageRecord } from '../../core/api.js';
import { digestKey } from './model/image-hash.js';

const INITIAL_IMAGES = 64;
/** The hash set is grown when it is this full: probes stay short. */
const MAX_LOAD = 0.5;
/** An outcome whose JSON is longer is kept on its own: a long output is seldom repeated. */
const MAX_SHARED_OUTCOME_CHARS = 512;
const NOT_CHECKED: CheckOutcome = Object.freeze({ kind: 'error', output: '', error: 'not checked' });
/** How an image's replay id is kept: bare ids are rebuilt from the first point. */
const ID_TEXT = 0;
const ID_BARE_ADR = 1;
const ID_BARE_EADR = 2;
/** First points are kept in 32 bits, as the point table keeps crash points. */
const MAX_POINT = 0xfffffffe;
/** A key that is a digest as digestKey writes it; other keys (hand-made logs) are kept as text. */
const DIGEST_KEY = /^[0-9a-f]{32}$/;

export class ImageTable implements ImageList {
  private count = 0;
  /** Four 32-bit lanes per image, by image number. */
  private digests = new Uint32Array(4 * INITIAL_IMAGES);
  private firstPoints = new Uint32Array(INITIAL_IMAGES);
  private outcomeIds = new Uint32Array(INITIAL_IMAGES);
  private idForms = new Uint8Array(INITIAL_IMAGES);
  /** Image number + 1 per slot, 0 for an empty slot; a power of two long. */
  private slots = new Uint32Array(4 * INITIAL_IMAGES);
  /** The distinct outcomes, 0 the placeholder of an image not checked yet. */
  private readonly outcomes: CheckOutcome[] = [NOT_CHECKED];
  private readonly outcomeIndex = new Map<string, number>();
  /** Replay ids that are not the bare id of their first point. */
  private readonly idTexts = new Map<number, string>();
  private readonly descriptions = new Map<number, Partial<ImageDescription>>();
  /** Keys that are not digests, both ways (only logs made by hand or read from JSON have them). */
  private readonly textKeys = new Map<number, string>();
  private readonly textKeyIds = new Map<string, number>();

  /** A table of the records of a log read from JSON (or made by hand), in their order. */
  static from(records: Iterable<[key: string, image: ImageRecord]>): ImageTable {
    const table = new ImageTable();
    for (const [key, image] of records) {
      if (table.has(key)) throw new RangeError(`image ${key} is listed twice`);
      const digest = digestOfKey(key);
      const id = digest
        ? table.add(digest, image.replayId, image.firstPoint)
        : table.addTextKey(key, image.replayId, image.firstPoint);
      table.setOutcome(id, image.outcome);
      const { replayId: _id, firstPoint: _point, outcome: _outcome, ...description } = image;
      if (Object.keys(description).length > 0) table.descriptions.set(id, description);
    }
    return table;
  }

  get size(): number {
    return this.count;
  }

  /** The number of the image with this digest, or -1. */
  find(digest: ArrayLike<number>): number {
    const mask = this.slots.length - 1;
    for (let slot = digest[0]! & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      const at = 4 * (entry - 1);
      const d = this.digests;
      if (d[at] === digest[0] && d[at + 1] === digest[1] && d[at + 2] === digest[2] && d[at + 3] === digest[3])
        return entry - 1;
    }
  }

  /** Adds an image not in the table (find said -1), not checked yet; returns its number. */
  add(digest: ArrayLike<number>, replayId: string, firstPoint: number): number {
    const id = this.append(replayId, firstPoint);
    const at = 4 * id;
    this.digests[at] = digest[0]!;
    this.digests[at + 1] = digest[1]!;
    this.digests[at + 2] = digest[2]!;
    this.digests[at + 3] = digest[3]!;
    if (this.count > this.slots.length * MAX_LOAD) this.rehash();
    else this.place(id);
    return id;
  }

  setOutcome(id: number, outcome: CheckOutcome): void {
    const key = JSON.stringify(outcome);
    if (key.length > MAX_SHARED_OUTCOME_CHARS) {
      this.outcomeIds[id] = this.outcomes.push(Object.freeze({ ...outcome })) - 1;
      return;
    }
    let known = this.outcomeIndex.get(key);
    if (known === undefined) {
      known = this.outcomes.push(Object.freeze({ ...outcome })) - 1;
      this.outcomeIndex.set(key, known);
    }
    this.outcomeIds[id] = known;
  }

  outcomeOf(id: number): CheckOutcome {
    return this.outcomes[this.outcomeIds[id]!]!;
  }

  keyOf(id: number): string {
    return this.textKeys.get(id) ?? digestKey(this.digests.subarray(4 * id, 4 * id + 4));
  }

  /** The number of the image with this key, or -1. */
  idOf(key: string): number {
    const digest = digestOfKey(key);
    return digest ? this.find(digest) : (this.textKeyIds.get(key) ?? -1);
  }

  has(key: string): boolean {
    return this.idOf(key) >= 0;
  }

  get(key: string): ImageRecord | undefined {
    const id = this.idOf(key);
    return id < 0 ? undefined : this.recordOf(id);
  }

  /** A fresh record of image `id`, its fields in the order the engine's records had them. */
  recordOf(id: number): ImageRecord {
    const firstPoint = this.firstPoints[id]!;
    const form = this.idForms[id]!;
    const replayId =
      form === ID_BARE_ADR ? `adr@${firstPoint}` : form === ID_BARE_EADR ? `eadr@${firstPoint}` : this.idTexts.get(id)!;
    return { replayId, firstPoint, outcome: this.outcomeOf(id), ...this.descriptions.get(id) };
  }

  describe(key: string, description: ImageDescription): void {
    const id = this.idOf(key);
    if (id < 0) throw new RangeError(`image ${key} is not in the log`);
    this.descriptions.set(id, { ...this.descriptions.get(id), ...description });
  }

  *keys(): IterableIterator<string> {
    for (let id = 0; id < this.count; id++) yield this.keyOf(id);
  }

  *[Symbol.iterator](): Iterator<[string, ImageRecord]> {
    for (let id = 0; id < this.count; id++) yield [this.keyOf(id), this.recordOf(id)];
  }

  /** The records by key, as a log of ImageRecord objects had them (sharded results carry their log). */
  toJSON(): Record<string, ImageRecord> {
    return Object.fromEntries(this);
  }

  /** Bytes the columns hold (besides the few outcomes, ids and descriptions kept apart): for benchmarks. */
  get byteSize(): number {
    return this.digests.byteLength + this.firstPoints.byteLength * 2 + this.idForms.byteLength + this.slots.byteLength;
  }

  private addTextKey(key: string, replayId: string, firstPoint: number): number {
    const id = this.append(replayId, firstPoint);
    this.textKeys.set(id, key);
    this.textKeyIds.set(key, id);
    return id;
  }

  private append(replayId: string, firstPoint: number): number {
    if (!(firstPoint >= 0 && firstPoint <= MAX_POINT))
      throw new RangeError(`crash point ${firstPoint} is past ${MAX_POINT}`);
    if (this.count === this.firstPoints.length) this.grow();
    const id = this.count++;
    this.firstPoints[id] = firstPoint;
    this.outcomeIds[id] = 0;
    const form =
      replayId === `adr@${firstPoint}` ? ID_BARE_ADR : replayId === `eadr@${firstPoint}` ? ID_BARE_EADR : ID_TEXT;
    this.idForms[id] = form;
    if (form === ID_TEXT) this.idTexts.set(id, replayId);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.digests[4 * id]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  /** Doubles the hash set and places every digest image again (text-keyed ones are not in it). */
  private rehash(): void {
    this.slots = new Uint32Array(this.slots.length * 2);
    for (let id = 0; id < this.count; id++) if (this.textKeys.size === 0 || !this.textKeys.has(id)) this.place(id);
  }

  private grow(): void {
    const images = this.firstPoints.length * 2;
    this.digests = grown(this.digests, 4 * images);
    this.firstPoints = grown(this.firstPoints, images);
    this.outcomeIds = grown(this.outcomeIds, images);
    this.idForms = grown(this.idForms, images);
  }
}

/** The digest a key names when it is one as digestKey writes it (so it is written back the same). */
function digestOfKey(key: string): Uint32Array | undefined {
  if (!DIGEST_KEY.test(key)) return undefined;
  const digest = new Uint32Array(4);
  for (let lane = 0; lane < 4; lane++) digest[lane] = Number.parseInt(key.slice(8 * lane, 8 * lane + 8), 16);
  return digest;
}

function grown<T extends Uint32Array | Uint8Array>(column: T, length: number): T {
  const out = new (column.constructor as new (n: number) => T)(length);
  out.set(column as never);
  return out;
}

// A small strict XML 1.0 well-formedness checker for the JUnit tests (no dependency): one root,
// matching tags, quoted unique attributes, only the predefined and numeric references, only
// characters XML 1.0 allows. Returns the element tree with references decoded.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ALLOWED_CHARS = /^[\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;]*);|&/g, (all, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`bare & near offset ${where}`);
    if (ENTITIES[ref]) return ENTITIES[ref]!;
    const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`unknown reference &${ref}; near offset ${where}`);
    const ch = String.fromCodePoint(m[1] ? parseInt(m[1], 16) : Number(m[2]));
    if (!ALLOWED_CHARS.test(ch)) throw new Error(`reference to a forbidden character ${all}`);
    return ch;
  });
}

export function parseXml(xml: string): XmlElement {
  if (!ALLOWED_CHARS.test(xml)) throw new Error('document holds characters XML 1.0 forbids');
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>/.exec(xml);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.includes(']]>')) throw new Error(`]]> in text near offset ${i}`);
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`text outside the root near offset ${i}`);
    } else stack[stack.length - 1]!.text += decode(text, i);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0 || xml.slice(i + 4, end).includes('--')) throw new Error(`bad comment at ${i}`);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_:][A-Za-z0-9_:.-]*)\s*>/.exec(xml.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`mismatched end tag at ${i}`);
      i += m[0].length;
      continue;
    }
    const name = NAME.exec(xml.slice(i + 1));
    if (!name) throw new Error(`bad tag at ${i}`);
    if (root && stack.length === 0) throw new Error(`second root element at ${i}`);
    const el: XmlElement = { name: name[0], attrs: {}, children: [], text: '' };
    i += 1 + name[0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))![0];
      i += ws.length;
      if (xml.startsWith('/>', i) || xml.startsWith('>', i)) break;
      if (ws === '') throw new Error(`missing space before attribute at ${i}`);
      const a = /^([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*"([^"<]*)"/.exec(xml.slice(i));
      if (!a) throw new Error(`bad attribute at ${i}`);
      if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]} at ${i}`);
      el.attrs[a[1]!] = decode(a[2]!, i);
      i += a[0].length;
    }
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    if (xml.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(el);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

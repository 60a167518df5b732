/** The little XML S3 speaks: escaping, response documents and the two request bodies it parses. */

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

export type XmlValue = string | number | boolean | undefined | XmlNode | XmlNode[];
export interface XmlNode {
  [tag: string]: XmlValue;
}

function render(node: XmlNode): string {
  let out = '';
  for (const [tag, value] of Object.entries(node)) {
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const v of items)
      out += `<${tag}>${typeof v === 'object' ? render(v) : escapeXml(String(v))}</${tag}>`;
  }
  return out;
}

/** `<?xml…?><root xmlns=…>…</root>`; arrays become repeated elements. */
export function xmlDocument(root: string, body: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${render(body)}</${root}>`;
}

export function errorDocument(code: string, message: string, requestId: string, resource?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${`<Error>${render({ Code: code, Message: message, Resource: resource, RequestId: requestId })}</Error>`}`;
}

/** Text of every `<tag>…</tag>` directly in `xml`, unescaped. Bodies are small and bounded. */
function elements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  for (let i = xml.indexOf(open); i >= 0; i = xml.indexOf(open, i)) {
    const end = xml.indexOf(close, i + open.length);
    if (end < 0) break;
    out.push(xml.slice(i + open.length, end));
    i = end + close.length;
  }
  return out;
}

const text = (xml: string, tag: string) => {
  const v = elements(xml, tag)[0];
  return v === undefined ? undefined : unescapeXml(v);
};

/** CompleteMultipartUpload: the parts in the order given. */
export function parseCompleteParts(xml: string): Array<{ partNumber: number; etag: string }> | undefined {
  if (!xml.includes('CompleteMultipartUpload')) return undefined;
  return elements(xml, 'Part').map((p) => ({
    partNumber: Number(text(p, 'PartNumber')),
    etag: text(p, 'ETag') ?? '',
  }));
}

/** DeleteObjects: keys and the Quiet flag. */
export function parseDelete(xml: string): { keys: string[]; quiet: boolean } | undefined {
  if (!xml.includes('<Delete')) return undefined;
  const keys = elements(xml, 'Object').map((o) => text(o, 'Key') ?? '');
  return { keys, quiet: text(xml, 'Quiet') === 'true' };
}

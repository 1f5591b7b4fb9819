/** What a tracking token stands for: a click on a link (the `index`-th tracked link, to `url`), or an open. */
export type TrackingKind = 'click' | 'open';
export interface TrackingData {
  /** click: the link's destination (HTML entities decoded). */
  readonly url?: string;
  /** click: 0 for the first tracked link of the message, 1 for the next… */
  readonly index?: number;
}

export interface TrackingOptions {
  /** Where the hub's tracking endpoints are served, e.g. `https://hub.example.com` (a trailing `/` is ignored). */
  readonly baseUrl: string;
  /** An opaque token for a click or an open (the caller signs in it what it needs); written URL-encoded. */
  readonly token: (kind: TrackingKind, data: TrackingData) => string;
  /** Rewrite `http(s)` links to `${baseUrl}/t/c/${token}` (default true). */
  readonly clicks?: boolean;
  /** Add an open pixel `${baseUrl}/t/o/${token}.gif` before `</body>` (default true). */
  readonly opens?: boolean;
}

interface Attribute {
  readonly name: string;
  /** The value as written (entities not decoded), and where it is, quotes included. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly quote: '"' | "'" | '';
}

/**
 * Applies click and open tracking to rendered HTML. Only `<a href="http(s)://…">` links are rewritten
 * (their other attributes are kept as written); `mailto:`, `tel:`, `#anchors`, relative links, links
 * with a `data-no-track` attribute, and anything inside comments, `<script>` or `<style>` are left alone.
 */
export function trackHtml(html: string, options: TrackingOptions): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const tracked = options.clicks === false ? html : rewriteLinks(html, base, options.token);
  if (options.opens === false) return tracked;
  const pixel = `<img src="${escapeAttr(`${base}/t/o/${encodeURIComponent(options.token('open', {}))}.gif`)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  const at = tracked.toLowerCase().lastIndexOf('</body');
  return at < 0 ? tracked + pixel : tracked.slice(0, at) + pixel + tracked.slice(at);
}

function rewriteLinks(html: string, base: string, token: TrackingOptions['token']): string {
  let out = '';
  let copied = 0;
  let index = 0;
  for (let i = html.indexOf('<'); i >= 0 && i < html.length; i = html.indexOf('<', i)) {
    const skipTo = skipOpaque(html, i);
    if (skipTo !== undefined) {
      i = skipTo;
      continue;
    }
    if (!/^<a[\s>/]/i.test(html.slice(i, i + 3))) {
      i++;
      continue;
    }
    const tag = scanAttributes(html, i + 2);
    if (tag === undefined) break; // an unterminated tag: leave the rest as it is
    const href = linkToTrack(tag.attributes);
    if (href !== undefined) {
      const url = `${base}/t/c/${encodeURIComponent(token('click', { url: decodeEntities(href.value).trim(), index: index++ }))}`;
      const quote = href.quote || '"';
      out += html.slice(copied, href.start) + quote + escapeAttr(url) + quote;
      copied = href.end;
    }
    i = tag.end;
  }
  return out + html.slice(copied);
}

/** The href attribute to rewrite, when the link is tracked. */
function linkToTrack(attributes: readonly Attribute[]): Attribute | undefined {
  if (attributes.some((a) => a.name === 'data-no-track')) return undefined;
  const href = attributes.find((a) => a.name === 'href');
  return href !== undefined && /^https?:\/\//i.test(decodeEntities(href.value).trim()) ? href : undefined;
}

/** Past a comment, or the end of a `<script>`/`<style>` element, when one starts at `i`. */
function skipOpaque(html: string, i: number): number | undefined {
  if (html.startsWith('<!--', i)) {
    const end = html.indexOf('-->', i + 4);
    return end < 0 ? html.length : end + 3;
  }
  const raw = /^<(script|style)[\s>/]/i.exec(html.slice(i, i + 8));
  if (raw === null) return undefined;
  const close = html.toLowerCase().indexOf(`</${(raw[1] as string).toLowerCase()}`, i + 1);
  return close < 0 ? html.length : close + 2;
}

/** The attributes of a start tag whose name ends before `from`, and the index past its `>`; undefined when it never ends. */
function scanAttributes(html: string, from: number): { attributes: Attribute[]; end: number } | undefined {
  const attributes: Attribute[] = [];
  let i = from;
  for (;;) {
    while (i < html.length && /[\s/]/.test(html[i] as string)) i++;
    if (i >= html.length) return undefined;
    if (html[i] === '>') return { attributes, end: i + 1 };
    const nameStart = i;
    while (i < html.length && !/[\s=>/]/.test(html[i] as string)) i++;
    const name = html.slice(nameStart, i).toLowerCase();
    while (i < html.length && /\s/.test(html[i] as string)) i++;
    if (html[i] !== '=') {
      attributes.push({ name, value: '', start: i, end: i, quote: '' });
      continue;
    }
    i++;
    while (i < html.length && /\s/.test(html[i] as string)) i++;
    const value = scanValue(html, i);
    if (value === undefined) return undefined;
    attributes.push({ name, ...value });
    i = value.end;
  }
}

function scanValue(html: string, start: number): Omit<Attribute, 'name'> | undefined {
  const q = html[start];
  if (q === '"' || q === "'") {
    const close = html.indexOf(q, start + 1);
    return close < 0 ? undefined : { value: html.slice(start + 1, close), start, end: close + 1, quote: q };
  }
  let end = start;
  while (end < html.length && !/[\s>]/.test(html[end] as string)) end++;
  return { value: html.slice(start, end), start, end, quote: '' };
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the character references an attribute value usually holds (`&amp;`, `&#38;`, `&#x26;`, …). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

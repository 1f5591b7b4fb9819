import { describe, expect, it } from 'vitest';
import { decodeEntities, trackHtml, type TrackingData, type TrackingKind } from './tracking.js';

function tracker() {
  const calls: [TrackingKind, TrackingData][] = [];
  const token = (kind: TrackingKind, data: TrackingData) => {
    calls.push([kind, data]);
    return kind === 'open' ? 'o1' : `c${data.index}`;
  };
  return { calls, token };
}

const BASE = 'https://hub.example.com/';

describe('trackHtml', () => {
  it('rewrites http(s) links, keeps their other attributes, and adds the pixel before </body>', () => {
    const { calls, token } = tracker();
    const html = '<html><body><p>Hi <a class="btn" href="https://shop.example/p?a=1&amp;b=2" target=_blank>shop</a> and <A HREF=\'http://x.example\'>x</A></p></BODY></html>';
    expect(trackHtml(html, { baseUrl: BASE, token })).toBe(
      '<html><body><p>Hi <a class="btn" href="https://hub.example.com/t/c/c0" target=_blank>shop</a> and <A HREF=\'https://hub.example.com/t/c/c1\'>x</A></p>' +
        '<img src="https://hub.example.com/t/o/o1.gif" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" /></BODY></html>',
    );
    expect(calls).toEqual([
      ['click', { url: 'https://shop.example/p?a=1&b=2', index: 0 }],
      ['click', { url: 'http://x.example', index: 1 }],
      ['open', {}],
    ]);
  });

  it('leaves mailto:, tel:, anchors, relative links, data-no-track links, comments and scripts alone', () => {
    const { calls, token } = tracker();
    const html = [
      '<a href="mailto:help@example.com">m</a>',
      '<a href="tel:+331234">t</a>',
      '<a href="#top">a</a>',
      '<a href="/relative">r</a>',
      '<a data-no-track href="https://unsubscribe.example/u">u</a>',
      '<a href="https://no.example" data-no-track="">n</a>',
      '<!-- <a href="https://comment.example">c</a> -->',
      '<script>var s = \'<a href="https://script.example">\';</script>',
      '<abbr title="https://abbr.example">x</abbr>',
      '<a name="x">no href</a>',
    ].join('');
    expect(trackHtml(html, { baseUrl: BASE, token, opens: false })).toBe(html);
    expect(calls).toEqual([]);
  });

  it('does not break attributes: quotes, > inside values, unquoted values, spacing', () => {
    const { token } = tracker();
    const html = '<a title="a > b" data-x=\'say "hi"\'\n   href = https://u.example/?q=1 style="color:red">go</a>';
    expect(trackHtml(html, { baseUrl: 'https://h', token, opens: false })).toBe(
      '<a title="a > b" data-x=\'say "hi"\'\n   href = "https://h/t/c/c0" style="color:red">go</a>',
    );
  });

  it('encodes the token and escapes the written URL', () => {
    const token = (kind: TrackingKind) => (kind === 'open' ? 'a/b' : 'x y&z');
    const out = trackHtml('<a href="https://e.example">e</a>', { baseUrl: 'https://h/base?', token });
    expect(out).toBe('<a href="https://h/base?/t/c/x%20y%26z">e</a><img src="https://h/base?/t/o/a%2Fb.gif" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />');
  });

  it('appends the pixel at the end without </body>; each part is optional', () => {
    const { token } = tracker();
    expect(trackHtml('<p>hi</p>', { baseUrl: BASE, token, clicks: false })).toMatch(/^<p>hi<\/p><img src="https:\/\/hub\.example\.com\/t\/o\/o1\.gif"/);
    expect(trackHtml('<a href="https://e.example">e</a>', { baseUrl: BASE, token, clicks: false, opens: false })).toBe('<a href="https://e.example">e</a>');
  });

  it('leaves an unterminated tag and what follows it as it is', () => {
    const { token } = tracker();
    const html = '<a href="https://a.example">a</a><a href="https://b.example';
    expect(trackHtml(html, { baseUrl: 'https://h', token, opens: false })).toBe('<a href="https://h/t/c/c0">a</a><a href="https://b.example');
  });
});

describe('decodeEntities', () => {
  it('decodes named, decimal and hex references and keeps unknown ones', () => {
    expect(decodeEntities('a&amp;b&#38;c&#x26;d&quot;&lt;&gt;&apos;&nbsp;&#0;')).toBe('a&b&c&d"<>\'&nbsp;&#0;');
  });
});

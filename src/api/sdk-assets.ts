import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A browser file served from an npm dependency, read once and kept with its gzip form. */
export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/**
 * The files the hub may serve, by public name. Only names listed here are ever read, so a request
 * path can never reach another file (no traversal: the name is a key, not a path).
 */
export class AssetCatalog {
  private readonly loaded = new Map<string, Asset>();

  constructor(private readonly files: ReadonlyMap<string, string>) {}

  get(name: string): Asset | undefined {
    const hit = this.loaded.get(name);
    if (hit) return hit;
    const path = this.files.get(name);
    if (path === undefined) return undefined;
    const asset = readAsset(name, path);
    this.loaded.set(name, asset);
    return asset;
  }
}

const require = createRequire(import.meta.url);

/** `@segment/analytics-next/dist/umd`: `standalone.js` (the snippet's script), `index.js` (AnalyticsNext global), lazily loaded chunks, source maps. */
export function segmentFiles(): ReadonlyMap<string, string> {
  const dir = join(dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd');
  return new Map(readdirSync(dir).filter((n) => /^[\w.-]+\.js(?:\.map)?$/.test(n)).map((n) => [n, join(dir, n)]));
}

/** `@rudderstack/analytics-js`'s bundled UMD builds (every plugin inside, so nothing is fetched from RudderStack's CDN). */
export function rudderstackFiles(): ReadonlyMap<string, string> {
  const umd = (entry: string): string => join(dirname(require.resolve(`@rudderstack/analytics-js/${entry}`)), '..', 'umd', 'index.js');
  return new Map([
    ['rsa.js', umd('bundled')],
    ['rsa-legacy.js', umd('legacy-bundled')],
  ]);
}

/** Webpack chunk names carry a content hash: such a file never changes under its name. */
const HASHED = /\.[0-9a-f]{16,}\.js(?:\.map)?$/;

function readAsset(name: string, path: string): Asset {
  const body = readFileSync(path);
  const gzip = gzipSync(body, { level: 9 });
  return {
    body,
    gzip,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    contentType: name.endsWith('.map') ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8',
    cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
  };
}

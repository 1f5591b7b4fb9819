import { Liquid, Tag, type FS, type Template as Parsed, type TagToken, type TopLevelToken } from 'liquidjs';

/**
 * How a field is rendered: `html` escapes every output (`{{ … }}`) for HTML unless it ends in `| raw`;
 * `plain` (subject, text, SMS, webhook payload strings) writes values as they are.
 */
export type LiquidMode = 'html' | 'plain';

/** Bounds on one render (DoS): time, allocations, and how many tags and outputs it may run. */
export const RENDER_LIMITS = { renderMs: 250, memory: 10_000_000, templates: 100_000 } as const;
/** The longest template source (characters) any field may have. */
export const PARSE_LIMIT = 512 * 1024;

/** Templates never read files: every lookup is refused, so a partial can neither be found nor read. */
const NO_FILES: FS = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: (file) => Promise.reject(new Error(`templates cannot read files (${file})`)),
  readFileSync: (file) => {
    throw new Error(`templates cannot read files (${file})`);
  },
  resolve: (_dir, file) => file,
  contains: () => Promise.resolve(false),
  containsSync: () => false,
};

/** The tags that load other files: refused when the template is parsed, so validation reports them. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

function refusing(name: string): new (token: TagToken, remain: TopLevelToken[], liquid: Liquid) => Tag {
  return class Refused extends Tag {
    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid);
      throw new Error(`the "${name}" tag is not allowed: templates cannot load other files`);
    }
    render(): void {}
  };
}

function engine(mode: LiquidMode): Liquid {
  const liquid = new Liquid({
    fs: NO_FILES,
    root: [],
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    timezoneOffset: 0,
    locale: 'en-US',
    parseLimit: PARSE_LIMIT,
    renderLimit: RENDER_LIMITS.renderMs,
    memoryLimit: RENDER_LIMITS.memory,
    ...(mode === 'html' ? { outputEscape: 'escape' as const } : {}),
  });
  for (const name of FILE_TAGS) liquid.registerTag(name, refusing(name));
  return liquid;
}

const ENGINES: Record<LiquidMode, Liquid> = { html: engine('html'), plain: engine('plain') };

/** Parsed templates by mode and source (a bounded LRU: the same content is parsed once). */
const CACHE = new Map<string, Parsed[]>();
const CACHE_MAX = 2_000;

/** The parsed form of `source` (from the cache when seen before); throws Liquid's error when it does not parse. */
export function parseLiquid(mode: LiquidMode, source: string): Parsed[] {
  const key = `${mode}\u0000${source}`;
  const hit = CACHE.get(key);
  if (hit !== undefined) {
    CACHE.delete(key);
    CACHE.set(key, hit);
    return hit;
  }
  const parsed = ENGINES[mode].parse(source);
  if (CACHE.size >= CACHE_MAX) CACHE.delete(CACHE.keys().next().value as string);
  CACHE.set(key, parsed);
  return parsed;
}

/** Liquid's message when `source` does not parse, else undefined. */
export function liquidSyntaxError(mode: LiquidMode, source: string): string | undefined {
  try {
    parseLiquid(mode, source);
    return undefined;
  } catch (e) {
    return liquidMessage(e);
  }
}

/** Renders `source` with `scope`, within RENDER_LIMITS; throws Liquid's error (parse or render). */
export function renderLiquid(mode: LiquidMode, source: string, scope: object): string {
  const out: unknown = ENGINES[mode].renderSync(parseLiquid(mode, source), scope, {
    renderLimit: RENDER_LIMITS.renderMs,
    memoryLimit: RENDER_LIMITS.memory,
    templateLimit: RENDER_LIMITS.templates,
  });
  return typeof out === 'string' ? out : String(out);
}

/** The message of a Liquid error (or any thrown value), on one line. */
export function liquidMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s+/g, ' ').trim();
}

/** How many parsed templates the cache holds (for tests). */
export const liquidCacheSize = (): number => CACHE.size;

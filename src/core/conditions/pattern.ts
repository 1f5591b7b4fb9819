/**
 * `matches` patterns are a small regular-expression subset run by a Thompson NFA simulation
 * (linear in the input, whatever the pattern): literals, `.`, classes `[a-z0-9_]` / `[^…]`,
 * escapes `\d \w \s \.`, anchors `^` `$`, groups `( )`, alternation `|`, quantifiers `* + ?`.
 * No backreferences, look-arounds or counted repetition: they are rejected with a message.
 */
export const MAX_PATTERN_LENGTH = 256;

type CharTest = (c: string) => boolean;
type Node =
  | { readonly t: 'char'; readonly test: CharTest }
  | { readonly t: 'cat'; readonly a: Node; readonly b: Node }
  | { readonly t: 'alt'; readonly a: Node; readonly b: Node }
  | { readonly t: 'star' | 'plus' | 'opt'; readonly a: Node }
  | { readonly t: 'empty' };

export function checkPattern(p: string): string | undefined {
  if (p.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    parse(anchors(p).body);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

interface Compiled {
  readonly anchoredStart: boolean;
  readonly anchoredEnd: boolean;
  readonly start: number;
  readonly states: readonly State[];
}
type State = { test?: CharTest; out: number[] };

const cache = new Map<string, Compiled>();

/** True when the pattern matches somewhere in `s` (or the whole of it, with `^…$`). */
export function matchesPattern(p: string, s: string): boolean {
  let c = cache.get(p);
  if (!c) {
    c = compile(p);
    if (cache.size > 1000) cache.clear();
    cache.set(p, c);
  }
  return run(c, s);
}

function anchors(p: string): { anchoredStart: boolean; anchoredEnd: boolean; body: string } {
  const anchoredStart = p.startsWith('^');
  const anchoredEnd = p.endsWith('$') && !p.endsWith('\\$');
  return { anchoredStart, anchoredEnd, body: p.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined) };
}

function compile(p: string): Compiled {
  const { anchoredStart, anchoredEnd, body } = anchors(p);
  const states: State[] = [{ out: [] }]; // state 0: accept
  const start = build(parse(body), 0, states);
  return { anchoredStart, anchoredEnd, start, states };
}

/** Builds NFA states for `n` leading to `next`; returns the entry state. */
function build(n: Node, next: number, st: State[]): number {
  const add = (s: State): number => st.push(s) - 1;
  switch (n.t) {
    case 'empty':
      return next;
    case 'char':
      return add({ test: n.test, out: [next] });
    case 'cat':
      return build(n.a, build(n.b, next, st), st);
    case 'alt':
      return add({ out: [build(n.a, next, st), build(n.b, next, st)] });
    case 'opt':
      return add({ out: [build(n.a, next, st), next] });
    case 'star': {
      const split = add({ out: [] });
      (st[split] as State).out.push(build(n.a, split, st), next);
      return split;
    }
    case 'plus': {
      const split = add({ out: [] });
      const entry = build(n.a, split, st);
      (st[split] as State).out.push(entry, next);
      return entry;
    }
  }
}

function run(c: Compiled, s: string): boolean {
  let current = new Set<number>();
  const close = (set: Set<number>, i: number): void => {
    const stack = [i];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      if (set.has(x)) continue;
      set.add(x);
      const state = c.states[x] as State;
      if (!state.test) stack.push(...state.out);
    }
  };
  close(current, c.start);
  for (let i = 0; i <= s.length; i++) {
    if (current.has(0) && (!c.anchoredEnd || i === s.length)) return true;
    if (i === s.length) break;
    const ch = s[i] as string;
    const next = new Set<number>();
    for (const x of current) {
      const state = c.states[x] as State;
      if (state.test?.(ch)) close(next, state.out[0] as number);
    }
    if (!c.anchoredStart) close(next, c.start);
    current = next;
  }
  return current.has(0);
}

/** Recursive-descent parser of the subset. */
function parse(p: string): Node {
  let i = 0;
  const fail = (m: string): never => {
    throw new Error(`${m} at position ${i} of the pattern`);
  };
  const alt = (): Node => {
    let left = seq();
    while (p[i] === '|') {
      i++;
      left = { t: 'alt', a: left, b: seq() };
    }
    return left;
  };
  const seq = (): Node => {
    let left: Node = { t: 'empty' };
    while (i < p.length && p[i] !== '|' && p[i] !== ')') left = { t: 'cat', a: left, b: quantified() };
    return left;
  };
  const quantified = (): Node => {
    let a = atom();
    while (p[i] === '*' || p[i] === '+' || p[i] === '?') {
      const q = p[i++];
      if (p[i] === '?' || p[i] === '+') fail('lazy or possessive quantifiers are not supported');
      a = { t: q === '*' ? 'star' : q === '+' ? 'plus' : 'opt', a };
    }
    if (p[i] === '{') fail('counted repetition {n,m} is not supported');
    return a;
  };
  const atom = (): Node => {
    const c = p[i++];
    if (c === '(') {
      if (p[i] === '?') fail('look-arounds and special groups are not supported');
      const inner = alt();
      if (p[i++] !== ')') fail('missing )');
      return inner;
    }
    if (c === '[') return { t: 'char', test: charClass() };
    if (c === '.') return { t: 'char', test: () => true };
    if (c === '\\') return { t: 'char', test: escape() };
    if (c === '*' || c === '+' || c === '?' || c === '{') fail(`nothing to repeat before '${c}'`);
    if (c === ')' ) fail('unbalanced )');
    if (c === '^' || c === '$') fail(`anchor '${c}' is only allowed at the start or end`);
    return { t: 'char', test: (x) => x === c };
  };
  const escape = (): CharTest => {
    const e = p[i++];
    if (e === undefined) fail('pattern ends with \\');
    if (/[1-9]/.test(e as string)) fail('backreferences are not supported');
    if (e === 'd') return (x) => x >= '0' && x <= '9';
    if (e === 'w') return (x) => /[A-Za-z0-9_]/.test(x);
    if (e === 's') return (x) => /\s/.test(x);
    if (e === 'D' || e === 'W' || e === 'S') {
      const inner = e === 'D' ? (x: string) => x >= '0' && x <= '9' : e === 'W' ? (x: string) => /[A-Za-z0-9_]/.test(x) : (x: string) => /\s/.test(x);
      return (x) => !inner(x);
    }
    if (/[A-Za-z]/.test(e as string)) fail(`escape \\${e} is not supported`);
    return (x) => x === e;
  };
  const charClass = (): CharTest => {
    const negate = p[i] === '^';
    if (negate) i++;
    const tests: CharTest[] = [];
    let first = true;
    while (i < p.length && (p[i] !== ']' || first)) {
      first = false;
      const lo = p[i++] as string;
      if (lo === '\\') {
        tests.push(escape());
        continue;
      }
      if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
        const hi = p[i + 1] as string;
        i += 2;
        if (hi < lo) fail('bad range in character class');
        tests.push((x) => x >= lo && x <= hi);
      } else tests.push((x) => x === lo);
    }
    if (p[i++] !== ']') fail('missing ]');
    return negate ? (x) => !tests.some((t) => t(x)) : (x) => tests.some((t) => t(x));
  };
  const node = alt();
  if (i < p.length) fail(`unexpected '${p[i]}'`);
  return node;
}

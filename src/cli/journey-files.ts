import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { err, ok, type FieldError, type Result } from '../core/result.js';

/**
 * Journeys as code: the journey files of a directory (`*.yaml`, `*.yml`, `*.json`), read with the
 * position of every node so that a validation error (`steps.remind.next`) points at its line and
 * column in the file.
 */

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** A problem of one file, where it is. */
export interface FileError extends FieldError, Position {
  readonly file: string;
}

export interface JourneyFile {
  /** The path as given (the directory joined with the file name). */
  readonly file: string;
  readonly input: unknown;
  /** Where the field at `path` (a FieldError path) is written; its nearest written ancestor when it is missing. */
  locate(path: string): Position;
}

export interface JourneyDir {
  readonly files: readonly JourneyFile[];
  /** Files that could not be read or parsed. */
  readonly errors: readonly FileError[];
}

const EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json']);
const START: Position = { line: 1, col: 1 };

/** Reads every journey file of `dir`, sorted by name; answers an error message when `dir` holds none. */
export function loadJourneyDir(dir: string): Result<JourneyDir, string> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return err(`${dir} is not a directory`);
    names = readdirSync(dir).filter((n) => EXTENSIONS.has(extname(n).toLowerCase())).sort();
  } catch (e) {
    return err(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (names.length === 0) return err(`no journey files (*.yaml, *.yml, *.json) in ${dir}`);
  const files: JourneyFile[] = [];
  const errors: FileError[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      errors.push({ file, ...START, path: '(file)', message: (e as Error).message });
      continue;
    }
    const parsed = parseJourneyFile(file, text);
    if (parsed.ok) files.push(parsed.value);
    else errors.push(...parsed.error);
  }
  return ok({ files, errors });
}

/** Parses one file's text: YAML, or JSON when the name ends in `.json`. Syntax errors name their line and column. */
export function parseJourneyFile(file: string, text: string): Result<JourneyFile, FileError[]> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => positionOf(lines, offset);
  const locate = (path: string): Position => at(offsetOf(doc, path));
  if (extname(file).toLowerCase() === '.json') {
    try {
      return ok({ file, input: JSON.parse(text) as unknown, locate });
    } catch (e) {
      const message = (e as Error).message;
      const pos = /position (\d+)/.exec(message)?.[1] ?? doc.errors[0]?.pos[0] ?? text.length;
      return err([{ file, ...at(Number(pos)), path: '(syntax)', message }]);
    }
  }
  if (doc.errors.length > 0) {
    return err(doc.errors.map((e) => ({ file, ...at(e.pos[0]), path: '(syntax)', message: e.message })));
  }
  try {
    return ok({ file, input: doc.toJS({ maxAliasCount: 100 }) as unknown, locate });
  } catch (e) {
    return err([{ file, ...START, path: '(syntax)', message: (e as Error).message }]);
  }
}

/** Places FieldErrors of a file's journey at their lines. */
export function atLines(file: JourneyFile, errors: readonly FieldError[]): FileError[] {
  return errors.map((e) => ({ file: file.file, ...file.locate(e.path), path: e.path, message: e.message }));
}

/** `FILE:LINE:COL PATH: MESSAGE` (the shape editors and CI annotate). */
export function formatFileError(e: FileError): string {
  return `${e.file}:${e.line}:${e.col} ${e.path || '(journey)'}: ${e.message}`;
}

/** `steps.b.branches[0].condition` → `['steps', 'b', 'branches', 0, 'condition']`. */
export function pathTokens(path: string): (string | number)[] {
  const tokens: (string | number)[] = [];
  for (const m of path.matchAll(/\[(\d+)\]|\.?([^.[\]]+)/g)) tokens.push(m[1] !== undefined ? Number(m[1]) : (m[2] as string));
  return tokens;
}

/**
 * The offset of the node at `path`: the key of a map entry, the item of a list. Walks as far as
 * the document goes (the nearest ancestor of a missing field). A key may itself hold dots
 * (`set: { address.city: … }`): the longest key that is written wins.
 */
function offsetOf(doc: Document, path: string): number {
  const tokens = pathTokens(path);
  let node: unknown = doc.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (let i = 0; i < tokens.length && isNode(node); ) {
    if (isAlias(node)) node = node.resolve(doc);
    const token = tokens[i] as string | number;
    if (isSeq(node) && typeof token === 'number') {
      const item: unknown = node.items[token];
      if (!isNode(item)) break;
      offset = item.range?.[0] ?? offset;
      node = item;
      i += 1;
    } else if (isMap(node)) {
      const hit = entryOf(node as YAMLMap<unknown, unknown>, tokens, i);
      if (!hit) break;
      offset = rangeStart(hit.key) ?? rangeStart(hit.value) ?? offset;
      node = hit.value;
      i = hit.next;
    } else break;
  }
  return offset;
}

function entryOf(map: YAMLMap<unknown, unknown>, tokens: readonly (string | number)[], from: number): { key: unknown; value: unknown; next: number } | undefined {
  let last = from;
  while (last < tokens.length && typeof tokens[last] === 'string') last += 1;
  for (let end = Math.max(last, from + 1); end > from; end--) {
    const key = tokens.slice(from, end).map(String).join('.');
    const pair = map.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
    if (pair) return { key: pair.key, value: pair.value, next: end };
  }
  return undefined;
}

const rangeStart = (n: unknown): number | undefined => (isNode(n) ? (n as Node).range?.[0] : undefined);

function positionOf(lines: LineCounter, offset: number): Position {
  const p = lines.linePos(offset);
  return p.line === 0 ? { line: 1, col: offset + 1 } : p;
}

/**
 * keepalived.conf's reader, by keepalived 2.2.7's rules (lib/parser.c): `!` and `#` start a comment
 * anywhere outside double quotes (`\#`, `\!` escape them); `{` and `}` outside quotes split a line,
 * so a block may open on the keyword's line or the next one and several may sit on one line; a
 * word starting with `"` runs to the next `"`; `include GLOB` (and includer/m/w/b/a) reads files
 * in place, relative to the including file's directory. The result is a tree of words and blocks,
 * every word with its file and line; the grammar (parser.ts) gives it meaning.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { SourceRef } from './model';
import type { MessageLog } from './errors';

/** What the reader needs of a file system (tests give an in-memory one). */
export interface ConfigFileSystem {
  readFile(file: string): Promise<string>;
  /** Entry names of a directory; rejects when it is not one. */
  readdir(directory: string): Promise<string[]>;
  /** Undefined when nothing is there. */
  stat(file: string): Promise<{ readonly isFile: boolean; readonly isDirectory: boolean; readonly executable: boolean } | undefined>;
  /** The canonical path (to detect include cycles through links); the path itself when absent. */
  realpath?(file: string): Promise<string>;
}

export const nodeFileSystem: ConfigFileSystem = {
  readFile: (file) => fsp.readFile(file, 'utf8'),
  readdir: (directory) => fsp.readdir(directory),
  stat: async (file) => {
    const s = await fsp.stat(file).catch(() => undefined);
    return s && { isFile: s.isFile(), isDirectory: s.isDirectory(), executable: (s.mode & 0o111) !== 0 };
  },
  realpath: (file) => fsp.realpath(file),
};

/** Files held in memory, by absolute path (directories are implied by the paths). */
export function memoryFileSystem(files: Readonly<Record<string, string>>): ConfigFileSystem {
  const isDirectory = (p: string) => Object.keys(files).some((f) => f.startsWith(p.endsWith('/') ? p : `${p}/`));
  return {
    readFile: async (file) => {
      const text = files[file];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
      return text;
    },
    readdir: async (directory) => {
      if (!isDirectory(directory)) throw Object.assign(new Error(`ENOTDIR: ${directory}`), { code: 'ENOTDIR' });
      const prefix = directory.endsWith('/') ? directory : `${directory}/`;
      return [...new Set(Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/')[0]!))];
    },
    stat: async (file) =>
      files[file] !== undefined ? { isFile: true, isDirectory: false, executable: false }
      : isDirectory(file) ? { isFile: false, isDirectory: true, executable: false }
      : undefined,
  };
}

/** One word of a line; `segment` is the text of its keepalived line (between braces), for scripts that re-read it. */
export interface Word {
  readonly kind: 'word';
  readonly text: string;
  readonly at: SourceRef;
  /** Words of the same keepalived line share it (keepalived reads one keyword per line). */
  readonly segment: number;
  readonly segmentText: string;
  /** Where the word starts in `segmentText`. */
  readonly offset: number;
}

export interface Block {
  readonly kind: 'block';
  /** The `{`. */
  readonly at: SourceRef;
  readonly items: Item[];
}

export type Item = Word | Block;

/** Reads `file` (and what it includes) into the item tree; problems go to `log`. */
export async function readConfigTree(text: string, file: string, fs: ConfigFileSystem, log: MessageLog): Promise<Item[]> {
  const reader = new TreeReader(fs, log);
  await reader.readText(text, file, [await canonical(fs, file)]);
  return reader.finish();
}

async function canonical(fs: ConfigFileSystem, file: string): Promise<string> {
  const absolute = path.resolve(file);
  return fs.realpath ? fs.realpath(absolute).catch(() => absolute) : absolute;
}

class TreeReader {
  private readonly root: Item[] = [];
  private readonly open: Block[] = [];
  private segment = 0;

  constructor(private readonly fs: ConfigFileSystem, private readonly log: MessageLog) {}

  private get items(): Item[] {
    return this.open.length > 0 ? this.open[this.open.length - 1]!.items : this.root;
  }

  finish(): Item[] {
    for (const block of this.open) this.log.error(block.at, "missing '}': the block opened here is not closed");
    return this.root;
  }

  async readText(text: string, file: string, chain: readonly string[]): Promise<void> {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const at: SourceRef = { file, line: i + 1 };
      const line = decomment(lines[i]!.replace(/\r+$/, ''));
      if (line.unterminatedQuote) this.log.error(at, `unterminated quote in '${line.text}'`);
      if (line.text === '') continue;
      if (/^[@$~]/.test(line.text)) {
        this.log.warning(at, "keepalived's conditional configuration (@), parameter substitution ($) and sequences (~) are not supported: line ignored");
        continue;
      }
      for (const piece of splitAtBraces(line.text)) {
        if (piece === '{') {
          const block: Block = { kind: 'block', at, items: [] };
          this.items.push(block);
          this.open.push(block);
        } else if (piece === '}') {
          if (this.open.length === 0) this.log.error(at, "stray '}': no block is open");
          else this.open.pop();
        } else {
          const include = /^include([rmwba]?)[ \t]+(.*)$/.exec(piece);
          if (include) await this.include(include[2]!.trim(), include[1]!, at, chain);
          else this.words(piece, at);
        }
      }
    }
  }

  private words(text: string, at: SourceRef): void {
    const segment = ++this.segment;
    for (const { word, offset } of splitWords(text)) this.items.push({ kind: 'word', text: word, at, segment, segmentText: text, offset });
  }

  /** keepalived's include: a plain `include` only warns about missing files; the variants make them errors. */
  private async include(pattern: string, variant: string, at: SourceRef, chain: readonly string[]): Promise<void> {
    const strict = { r: 'r', m: 'rm', w: 'rmw', b: 'rb', a: 'rmwb' }[variant] ?? '';
    const report = (check: string, text: string) => (strict.includes(check) ? this.log.error(at, text) : this.log.warning(at, text));
    const absolute = path.resolve(path.dirname(at.file), pattern);
    const found = await glob(this.fs, absolute);
    if (found.files.length === 0 && found.directories.length === 0) {
      if (found.wildcard) report('w', `include ${pattern}: no file matches`);
      else report('m', `include ${pattern}: no such file`);
      return;
    }
    for (const directory of found.directories) report('r', `include ${pattern}: ${directory} is a directory - skipped`);
    for (const file of found.files) {
      const stat = await this.fs.stat(file);
      if (!stat?.isFile || stat.executable) {
        report('r', `include ${pattern}: ${file} is not a regular non-executable file - skipped (as keepalived does)`);
        continue;
      }
      const real = await canonical(this.fs, file);
      if (chain.includes(real)) {
        this.log.error(at, `include cycle: ${[...chain, real].join(' -> ')}`);
        continue;
      }
      let text: string;
      try {
        text = await this.fs.readFile(file);
      } catch (error) {
        report('r', `include ${pattern}: cannot read ${file}: ${(error as Error).message}`);
        continue;
      }
      await this.readText(text, file, [...chain, real]);
    }
  }
}

/**
 * keepalived's decomment(): the first `!` or `#` outside double quotes ends the line; `\#` and `\!`
 * outside quotes stand for the characters; leading and trailing blanks go.
 */
export function decomment(raw: string): { text: string; unterminatedQuote: boolean } {
  let out = '';
  let quote = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') quote = !quote;
    else if (c === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1]!;
      out += !quote && (next === '#' || next === '!') ? next : c + next;
      i++;
      continue;
    } else if (!quote && (c === '!' || c === '#')) break;
    out += c;
  }
  return { text: out.trim(), unterminatedQuote: quote };
}

/** Splits a line at `{` and `}` outside double quotes: text pieces, and the braces as pieces of their own. */
function splitAtBraces(line: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quote = !quote;
    else if (!quote && (c === '{' || c === '}')) {
      const before = line.slice(start, i).trim();
      if (before) pieces.push(before);
      pieces.push(c);
      start = i + 1;
    }
  }
  const rest = line.slice(start).trim();
  if (rest) pieces.push(rest);
  return pieces;
}

const BLANK = ' \t\f\n\r\v';

/** keepalived's alloc_strvec(): blank-separated words; one starting with `"` runs to the next `"` (quotes dropped). */
export function splitWords(text: string): { word: string; offset: number }[] {
  const words: { word: string; offset: number }[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && BLANK.includes(text[i]!)) i++;
    if (i >= text.length) break;
    const offset = i;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) break; // reported by decomment()
      words.push({ word: text.slice(i + 1, close), offset });
      i = close + 1;
    } else {
      while (i < text.length && !BLANK.includes(text[i]!) && text[i] !== '"') i++;
      words.push({ word: text.slice(offset, i), offset });
    }
  }
  return words;
}

/**
 * keepalived's reading of a script line (alloc_strvec_quoted_escaped): words split at blanks outside
 * `"` or `'` quotes, quotes removed, and shell-like escapes (\n, \t, \xHH, \NNN octal, \cX, \C).
 */
export function splitQuotedEscaped(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && BLANK.includes(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) {
        const [value, used] = escape(text, i + 1);
        word += value;
        i += used;
      } else if (quote) {
        if (c === quote) quote = '';
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (BLANK.includes(c)) break;
      else word += c;
    }
    words.push(word);
  }
  return words;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** The character an escape at `i` (after the backslash) stands for, and how many characters it used. */
function escape(text: string, i: number): [string, number] {
  const c = text[i]!;
  const hex = /^x([0-9a-fA-F]+)/.exec(text.slice(i));
  if (hex) return [String.fromCharCode(parseInt(hex[1]!, 16) & 0xff), hex[0].length];
  if (c === 'c' && i + 1 < text.length) return [String.fromCharCode(text.charCodeAt(i + 1) & 0x1f), 2];
  const octal = /^[0-7]{1,3}/.exec(text.slice(i));
  if (octal) return [String.fromCharCode(parseInt(octal[0], 8) & 0xff), octal[0].length];
  return [ESCAPES[c] ?? c, 1];
}

/** Expands csh-style braces (`{a,b{c,d}}`) as glob(3) with GLOB_BRACE does, left to right. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0) {
      if (--depth === 0) {
        const cuts = [open, ...commas, i];
        const alternatives = cuts.slice(0, -1).map((cut, k) => pattern.slice(cut + 1, cuts[k + 1]));
        const head = pattern.slice(0, open);
        const tails = expandBraces(pattern.slice(i + 1));
        return alternatives.flatMap((alternative) => expandBraces(head + alternative).flatMap((h) => tails.map((t) => h + t)));
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern];
}

const WILDCARD = /[*?[]/;

/** glob(3) on an absolute pattern: sorted matches per brace alternative; directories apart (GLOB_MARK). */
export async function glob(fs: ConfigFileSystem, pattern: string): Promise<{ files: string[]; directories: string[]; wildcard: boolean }> {
  const files: string[] = [];
  const directories: string[] = [];
  let wildcard = false;
  for (const alternative of expandBraces(pattern)) {
    if (WILDCARD.test(alternative)) wildcard = true;
    const matches = (await expandPath(fs, alternative)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const match of matches) {
      const stat = await fs.stat(match);
      if (!stat) continue;
      (stat.isDirectory ? directories : files).push(match);
    }
  }
  return { files, directories, wildcard };
}

async function expandPath(fs: ConfigFileSystem, pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : '.'];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    if (!WILDCARD.test(part)) {
      bases = bases.map((b) => path.join(b, part.replace(/\\(.)/g, '$1')));
      continue;
    }
    const matcher = segmentMatcher(part);
    const next: string[] = [];
    for (const base of bases) {
      const names = await fs.readdir(base).catch(() => [] as string[]);
      for (const name of names) if ((part.startsWith('.') || !name.startsWith('.')) && matcher.test(name)) next.push(path.join(base, name));
    }
    bases = next;
  }
  return bases;
}

/** One path segment of a glob pattern as a regular expression (`*`, `?`, `[...]`, `[!...]`, `\x`). */
function segmentMatcher(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '\\' && i + 1 < part.length) source += escapeRegExp(part[++i]!);
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

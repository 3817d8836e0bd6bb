/** Helpers of the config tests: text in memory, messages as `FILE:LINE: severity: text` lines. */
import * as path from 'node:path';
import { ConfigError, formatConfigMessage } from '../src/config/errors';
import { parseKeepalivedText } from '../src/config/load';
import type { KeepalivedConfig } from '../src/config/model';
import { memoryFileSystem, nodeFileSystem, type ConfigFileSystem } from '../src/config/reader';

export const MAIN = '/etc/keepalived/keepalived.conf';

/** Parses `text` as /etc/keepalived/keepalived.conf, with `files` (absolute paths) for its includes. */
export function parse(text: string, files: Record<string, string> = {}): Promise<KeepalivedConfig> {
  return parseKeepalivedText(text, MAIN, memoryFileSystem({ [MAIN]: text, ...files }));
}

/** The formatted messages of a configuration that fails to load (throws if it loads). */
export async function failure(text: string, files: Record<string, string> = {}): Promise<string[]> {
  const error = await parse(text, files).then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.messages.map(formatConfigMessage);
}

/** The errors only. */
export async function errors(text: string, files: Record<string, string> = {}): Promise<string[]> {
  return (await failure(text, files)).filter((line) => line.includes(': error: '));
}

/** The warnings and notes of a configuration that loads. */
export async function warnings(text: string, files: Record<string, string> = {}): Promise<string[]> {
  return (await parse(text, files)).messages.map(formatConfigMessage);
}

/** The fixture directory (this file runs from packages/keepalived/dist/test). */
export const FIXTURES = path.resolve(__dirname, '../../test/fixtures');

/** The real file system with /etc/keepalived mapped to `root`, so the operator's absolute includes find their files. */
export function rootedFileSystem(root: string): ConfigFileSystem {
  const map = (p: string) => (p === '/etc/keepalived' || p.startsWith('/etc/keepalived/') ? path.join(root, p.slice('/etc/keepalived'.length)) : p);
  return {
    readFile: (p) => nodeFileSystem.readFile(map(p)),
    readdir: (p) => nodeFileSystem.readdir(map(p)),
    stat: (p) => nodeFileSystem.stat(map(p)),
  };
}

/** A virtual server block with one real server, for tests of single keywords. */
export function vs(inner: string, rs = 'weight 1'): string {
  return `virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${inner}\n  real_server 10.0.1.1 80 {\n    ${rs}\n  }\n}\n`;
}

/**
 * Loading a configuration: keepalived.conf (with its includes) or, for a `.json` file, the JSON form
 * (json.ts). Errors throw a ConfigError holding every message; warnings and notes stay on the
 * configuration. `checkKeepalivedConfig` is `tsipvs keepalived -t`.
 */
import { ConfigError, MessageLog, formatConfigMessage } from './errors';
import { finalize } from './finalize';
import { parseJsonConfig } from './json';
import type { KeepalivedConfig } from './model';
import { parseTree } from './parser';
import { nodeFileSystem, readConfigTree, type ConfigFileSystem } from './reader';

export { formatConfigMessage };

/** Reads keepalived.conf text as keepalived would read it from `file` (includes go through `fs`). */
export async function parseKeepalivedText(text: string, file: string, fs: ConfigFileSystem = nodeFileSystem): Promise<KeepalivedConfig> {
  const log = new MessageLog();
  const tree = await readConfigTree(text, file, fs, log);
  const config = finalize(parseTree(tree, log), file, log);
  if (log.failed) throw new ConfigError(log.messages);
  return config;
}

/** Reads the JSON form (see docs/keepalived.md). */
export function parseJsonText(text: string, file: string): KeepalivedConfig {
  const log = new MessageLog();
  const drafts = parseJsonConfig(text, file, log);
  const config = drafts ? finalize(drafts, file, log) : undefined;
  if (!config || log.failed) throw new ConfigError(log.messages);
  return config;
}

/** keepalived.conf, or the JSON form when the name ends in `.json`. */
export async function loadKeepalivedConfig(file: string, fs: ConfigFileSystem = nodeFileSystem): Promise<KeepalivedConfig> {
  let text: string;
  try {
    text = await fs.readFile(file);
  } catch (error) {
    throw new ConfigError([{ severity: 'error', at: { file, line: 0 }, text: `cannot read the configuration: ${(error as Error).message}` }]);
  }
  return /\.json$/i.test(file) ? parseJsonText(text, file) : parseKeepalivedText(text, file, fs);
}

/** `-t`: every message as `FILE:LINE: severity: text`, and whether the configuration can run. */
export async function checkKeepalivedConfig(file: string, fs: ConfigFileSystem = nodeFileSystem): Promise<{ ok: boolean; lines: string[] }> {
  try {
    const config = await loadKeepalivedConfig(file, fs);
    return { ok: true, lines: config.messages.map(formatConfigMessage) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, lines: error.messages.map(formatConfigMessage) };
    throw error;
  }
}

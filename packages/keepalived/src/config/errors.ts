/**
 * Problems found in a configuration: each names its file and line (or, in the JSON form, its JSON
 * path). Warnings and notes travel with the loaded configuration; errors stop the load.
 */
import type { ConfigMessage, SourceRef } from './model';

/** `FILE:LINE: warning|error|note: TEXT`; JSON input: `FILE: error: services[0].port: TEXT`. */
export function formatConfigMessage(m: ConfigMessage): string {
  const where = m.at.line > 0 ? `${m.at.file}:${m.at.line}` : m.at.file;
  return `${where}: ${m.severity}: ${m.at.path ? `${m.at.path}: ` : ''}${m.text}`;
}

/** Thrown by `loadKeepalivedConfig` when the configuration has errors; `messages` holds all of them (and the warnings). */
export class ConfigError extends Error {
  constructor(readonly messages: readonly ConfigMessage[]) {
    super(messages.filter((m) => m.severity === 'error').map(formatConfigMessage).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Collects messages while a configuration is read. */
export class MessageLog {
  readonly messages: ConfigMessage[] = [];
  error(at: SourceRef, text: string): void {
    this.messages.push({ severity: 'error', at, text });
  }
  warning(at: SourceRef, text: string): void {
    this.messages.push({ severity: 'warning', at, text });
  }
  note(at: SourceRef, text: string): void {
    this.messages.push({ severity: 'note', at, text });
  }
  get failed(): boolean {
    return this.errorCount > 0;
  }
  get errorCount(): number {
    return this.messages.reduce((n, m) => n + (m.severity === 'error' ? 1 : 0), 0);
  }
}

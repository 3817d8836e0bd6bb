import { findLong, findShort, type OptionSpec } from './spec';

/**
 * `word` of an option token is the argv word popt consumed last (its value's word when the value
 * was separate): what ipvsadm names in "invalid option `...'".
 *
 * Splits argv the way popt does for ipvsadm: short clusters ("-Ln"), attached values ("-t1.2.3.4:80",
 * "-p=60"), "--long value" / "--long=value", exact long names, optional values that never start with
 * "-", "--" ending options, and words collected as arguments. Errors come out in order, as tokens.
 */
export type Token =
  | { readonly kind: 'option'; readonly spec: OptionSpec; readonly value: string | undefined; readonly word: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'end' };

export class Tokenizer {
  private index = 0;
  private cluster: string | undefined;
  private optionsEnded = false;
  /** The argv word consumed last: what popt names in "invalid option" messages. */
  lastWord = '';
  readonly argumentWords: string[] = [];

  constructor(private readonly argv: readonly string[]) {}

  next(): Token {
    if (this.cluster !== undefined) return this.readShort();
    while (this.index < this.argv.length) {
      const word = this.take();
      if (this.optionsEnded || word === '-' || !word.startsWith('-')) {
        this.argumentWords.push(word);
        continue;
      }
      if (word === '--') {
        this.optionsEnded = true;
        continue;
      }
      if (word.startsWith('--')) return this.readLong(word);
      this.cluster = word.slice(1);
      return this.readShort();
    }
    return { kind: 'end' };
  }

  private take(): string {
    const word = this.argv[this.index++]!;
    this.lastWord = word;
    return word;
  }

  private readLong(word: string): Token {
    const equals = word.indexOf('=');
    const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
    const attached = equals < 0 ? undefined : word.slice(equals + 1);
    const spec = findLong(name);
    if (!spec) return { kind: 'error', message: `${word}: unknown option` };
    if (spec.arity === 'none') {
      if (attached !== undefined) return { kind: 'error', message: `${word}: option does not take an argument` };
      return { kind: 'option', spec, value: undefined, word };
    }
    return this.withValue(spec, word, attached);
  }

  private readShort(): Token {
    const cluster = this.cluster!;
    const word = this.lastWord;
    const spec = findShort(cluster[0]!);
    let rest = cluster.slice(1);
    if (rest.startsWith('=')) rest = rest.slice(1);
    this.cluster = rest === '' ? undefined : rest;
    if (!spec) return { kind: 'error', message: `${word}: unknown option` };
    if (spec.arity === 'none') return { kind: 'option', spec, value: undefined, word };
    const attached = this.cluster;
    this.cluster = undefined;
    return this.withValue(spec, word, attached);
  }

  private withValue(spec: OptionSpec, word: string, attached: string | undefined): Token {
    if (attached !== undefined) return { kind: 'option', spec, value: attached, word };
    const following = this.argv[this.index];
    if (spec.arity === 'optional') {
      const value = following !== undefined && !following.startsWith('-') ? this.take() : undefined;
      return { kind: 'option', spec, value, word: this.lastWord };
    }
    if (following === undefined) return { kind: 'error', message: `${word}: missing argument` };
    return { kind: 'option', spec, value: this.take(), word: this.lastWord };
  }
}

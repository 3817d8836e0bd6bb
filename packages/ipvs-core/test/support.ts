/** Test helpers: a seeded random source and the oracle corpus (the fake kernel is in src/testing). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecording, type Recording } from './internals';

/** The oracle corpus, test/fixtures/oracle (this file runs from packages/ipvs-core/dist/test). */
export const ORACLE = process.env.TSIPVS_ORACLE ?? path.resolve(__dirname, '../../../../test/fixtures/oracle');

/** Mulberry32: small deterministic PRNG so failures reproduce. */
export function random(seed: number): { int(min: number, max: number): number; pick<T>(items: readonly T[]): T; bool(): boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    bool: () => next() < 0.5,
  };
}

/** Every capture directory of the oracle with its parsed recordings by file name. */
export function oracleCaptures(): Array<{ scenario: string; files: Map<string, Recording> }> {
  return fs.readdirSync(ORACLE).filter((name) => name.endsWith('.netlink')).sort().map((dir) => ({
    scenario: dir.replace(/\.netlink$/, ''),
    files: new Map(fs.readdirSync(path.join(ORACLE, dir)).map((file) => [file, parseRecording(fs.readFileSync(path.join(ORACLE, dir, file), 'utf8'))])),
  }));
}

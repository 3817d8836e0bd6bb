import type { Change, ChangeList } from '@tsipvs/ipvs-core';
import { scanSaveLine } from '../argv/save-line';

/**
 * The changes of restore input, in order, with the line of each. A line the fast reader serves is
 * kept as where it sits in the input and read again when the batch asks for it, so that 100k lines
 * do not become 100k retained objects; a change the general grammar read (any change, -C, -Z and
 * --set included) is kept as it is.
 */
export class RestoreChanges implements ChangeList {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly lineNumbers: number[] = [];
  /** Changes read by the general grammar, by index. */
  private readonly parsed = new Map<number, Change>();

  constructor(private readonly text: string) {}

  get length(): number {
    return this.lineNumbers.length;
  }

  /** A line `scanSaveLine` served, at `start`..`end` of the input. */
  addScanned(start: number, end: number, lineNumber: number): void {
    this.push(start, end, lineNumber);
  }

  /** A change the general grammar read. */
  addParsed(change: Change, lineNumber: number): void {
    this.parsed.set(this.length, change);
    this.push(0, 0, lineNumber);
  }

  private push(start: number, end: number, lineNumber: number): void {
    this.starts.push(start);
    this.ends.push(end);
    this.lineNumbers.push(lineNumber);
  }

  at(index: number): Change | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.parsed.get(index) ?? scanSaveLine(this.text.slice(this.starts[index], this.ends[index]));
  }

  /** The input line of change `index`. */
  lineNumber(index: number): number {
    return this.lineNumbers[index]!;
  }
}

/** Where a block or keyword was written: reported in messages and in `status`. */
export interface SourceRef {
  readonly file: string;
  /** 1-based; 0 when the place is not a line (the JSON form, a file that cannot be read). */
  readonly line: number;
  /** The JSON form: where in the document, e.g. `services[0].destinations[1].check`. */
  readonly path?: string;
}

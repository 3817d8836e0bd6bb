import { IpvsValidationError } from '../errors';

/** Argument checks shared by the encoders; each throws IpvsValidationError naming the field. */

export function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new IpvsValidationError(field, `expected an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

export const checkU8 = (field: string, value: unknown): number => checkInteger(field, value, 0, 0xff);
export const checkU16 = (field: string, value: unknown): number => checkInteger(field, value, 0, 0xffff);
export const checkU32 = (field: string, value: unknown): number => checkInteger(field, value, 0, 0xffffffff);
export const checkPort = (field: string, value: unknown): number => checkInteger(field, value, 0, 65535);

/** A printable ASCII name of 1..maxLength characters (scheduler, engine, interface). */
export function checkName(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !/^[\x21-\x7e]+$/.test(value)) {
    throw new IpvsValidationError(field, `expected a name of 1..${maxLength} printable ASCII characters, got ${JSON.stringify(value)}`);
  }
  return value;
}

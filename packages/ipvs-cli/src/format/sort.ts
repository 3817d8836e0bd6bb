import { AddressFamily, type Destination, type DestinationKey, type Service } from '@tsipvs/ipvs-core';
import { addressWords } from '../net/address';

/**
 * ipvsadm's sort: libipvs comparators that subtract 32-bit values and read the result as a signed
 * int (so values more than 2^31 apart compare the wrong way), run by glibc 2.36 qsort, a top-down
 * merge sort. With such a non-transitive comparator the order depends on the algorithm, so it is
 * reproduced exactly.
 */

type Compare<T> = (a: T, b: T) => number;

/** Signed 32-bit difference of two unsigned 32-bit values. */
function wrappedDifference(a: number, b: number): number {
  return (a - b) | 0;
}

/** glibc msort: left half = floor(n/2) elements; on ties the left element goes first. */
export function mergeSort<T>(items: readonly T[], compare: Compare<T>): T[] {
  const out = [...items];
  if (out.length < 2) return out;
  const scratch = new Array<T>(out.length);
  const sort = (start: number, count: number): void => {
    if (count <= 1) return;
    const half = count >> 1;
    sort(start, half);
    sort(start + half, count - half);
    let i = start;
    let j = start + half;
    const leftEnd = j;
    const end = start + count;
    let k = 0;
    while (i < leftEnd && j < end) scratch[k++] = compare(out[i]!, out[j]!) <= 0 ? out[i++]! : out[j++]!;
    while (i < leftEnd) scratch[k++] = out[i++]!;
    // what is left of the right half is already in place
    for (let m = 0; m < k; m++) out[start + m] = scratch[m]!;
  };
  sort(0, out.length);
  return out;
}

function compareAddresses(family: AddressFamily, a: number[], b: number[]): number {
  const count = family === AddressFamily.IPv6 ? 4 : 1;
  for (let i = 0; i < count; i++) {
    const r = wrappedDifference(a[i]!, b[i]!);
    if (r !== 0) return r;
  }
  return 0;
}

interface ServiceSortKey {
  readonly fwmark: number;
  readonly family: number;
  readonly protocol: number;
  readonly words: number[];
  readonly port: number;
}

function serviceSortKey(service: Service): ServiceSortKey {
  const key = service.key;
  if ('fwmark' in key) return { fwmark: key.fwmark, family: key.family, protocol: 0, words: [0, 0, 0, 0], port: 0 };
  return { fwmark: 0, family: key.family, protocol: key.protocol, words: addressWords(key.family, key.address), port: key.port };
}

function compareServiceKeys(a: ServiceSortKey, b: ServiceSortKey): number {
  return (
    wrappedDifference(a.fwmark, b.fwmark) ||
    a.family - b.family ||
    a.protocol - b.protocol ||
    compareAddresses(a.family as AddressFamily, a.words, b.words) ||
    a.port - b.port
  );
}

export function sortServices(services: readonly Service[]): Service[] {
  const keyed = services.map((service) => ({ service, key: serviceSortKey(service) }));
  return mergeSort(keyed, (a, b) => compareServiceKeys(a.key, b.key)).map((k) => k.service);
}

/** What real servers are sorted by: their address as libipvs compares it, then their port. */
export interface EndpointSortKey {
  readonly family: AddressFamily;
  readonly words: number[];
  readonly port: number;
}

export function endpointSortKey(key: DestinationKey): EndpointSortKey {
  return { family: key.family, words: addressWords(key.family, key.address), port: key.port };
}

/** Real servers (or what stands for them) by address then port, as ipvsadm sorts them. */
export function sortByEndpoint<T extends { readonly sortKey: EndpointSortKey }>(items: readonly T[]): T[] {
  return mergeSort(items, ({ sortKey: a }, { sortKey: b }) => compareAddresses(a.family, a.words, b.words) || a.port - b.port);
}

export function sortDestinations(destinations: readonly Destination[]): Destination[] {
  return sortByEndpoint(destinations.map((d) => ({ d, sortKey: endpointSortKey(d.key) }))).map((k) => k.d);
}

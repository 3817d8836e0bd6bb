/** GET_INFO: the IPVS version and the connection hash table size. */
export interface Info {
  /** Version as "major.minor.patch", e.g. "1.2.1". */
  readonly version: string;
  /** Raw version code, e.g. 0x010201. */
  readonly versionCode: number;
  readonly connectionTableSize: number;
}

/** Connection timeouts in seconds (GET/SET_CONFIG). In a set request 0 means "leave unchanged". */
export interface Timeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

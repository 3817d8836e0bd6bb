/** Why a sysctl operation failed; stable strings callers (and the CLI's --json) can match on. */
export type SysctlErrorCode =
  | 'invalid-name'
  | 'invalid-value'
  | 'out-of-range'
  | 'not-found'
  | 'not-a-file'
  | 'unsafe-path'
  | 'permission-denied'
  | 'write-rejected'
  | 'ipvs-not-loaded'
  | 'knob-unavailable'
  | 'no-such-interface'
  | 'netlink'
  | 'state'
  | 'apply-failed'
  | 'rollback-failed'
  | 'revert-failed';

export class SysctlError extends Error {
  override readonly name = 'SysctlError';
  constructor(
    readonly code: SysctlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The errno name of a Node system error (`ENOENT`...), if it is one. */
export function systemErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The quorum of a virtual server as keepalived 2.2.7 computes it (check/ipwrapper.c,
 * update_quorum_state): the sum of the effective weights of its live real servers against `quorum`,
 * with `hysteresis` around it. At start the quorum is met when the sum reaches quorum + hysteresis.
 * Not met, it is gained when the sum reaches quorum + hysteresis; met, it is lost when the sum falls
 * below quorum − hysteresis, or to 0.
 */

export interface QuorumSettings {
  readonly quorum: number;
  readonly hysteresis: number;
}

/** The quorum state at start. */
export function initialQuorum(settings: QuorumSettings, liveWeight: number): boolean {
  return liveWeight >= settings.quorum + settings.hysteresis;
}

/** The quorum state after the live weight became `liveWeight`, given the state before. */
export function nextQuorum(settings: QuorumSettings, met: boolean, liveWeight: number): boolean {
  if (!met) return liveWeight >= settings.quorum + settings.hysteresis;
  return !(liveWeight === 0 || liveWeight < settings.quorum - settings.hysteresis);
}

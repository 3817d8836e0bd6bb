/** Oracle scenario files (.scn): their steps, and shell scripts that replay them with either tool. */

export type ScenarioStep = { readonly kind: 'command'; readonly text: string } | { readonly kind: 'snapshot' };

export interface Scenario {
  readonly steps: readonly ScenarioStep[];
  readonly volatile: boolean;
}

/** Parses a .scn file: one shell line per step (heredocs kept whole), `#@ snapshot` directives. */
export function parseScenario(text: string): Scenario {
  const steps: ScenarioStep[] = [];
  let volatile = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (line.startsWith('#@ snapshot')) steps.push({ kind: 'snapshot' });
    else if (line.startsWith('#@ volatile')) volatile = true;
    if (line.startsWith('#')) continue;
    if (/<<EOF$/.test(line)) {
      const body: string[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== 'EOF') body.push(lines[++i]!);
      i++;
      steps.push({ kind: 'command', text: `${line}\n${body.join('\n')}\nEOF` });
    } else {
      steps.push({ kind: 'command', text: line });
    }
  }
  if (!steps.some((s) => s.kind === 'snapshot')) steps.push({ kind: 'snapshot' });
  return { steps, volatile };
}

/**
 * The listings of an oracle snapshot, in order (then `-Ln <svc>` for up to four services; we take them
 * in text order, not -S order, so runs in namespaces with a different kernel order list the same ones).
 */
export const SNAPSHOT_LISTINGS = [
  '-Ln', '-L -n --stats', '-L -n --rate', '-L -n --exact --stats', '-L -n --exact --rate', '-L -n --thresholds',
  '-L -n --persistent-conn', '-S -n', '-L -n --timeout', '-L -n --daemon', '-L -n -c', '-L -n --tun-info', '-L -n --nosort',
];

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

export interface ScriptOptions {
  /** Folder where step N leaves N.cmd, N.out, N.err, N.rc (and N.ref: real ipvsadm in the same namespace). */
  readonly dir: string;
  /** How to run the tool under test; absent: the real ipvsadm. */
  readonly tool?: string;
  /** Command lines run silently right after step N (to bring the table where ipvsadm left it). */
  readonly align?: ReadonlyMap<number, ReadonlyArray<readonly string[]>>;
  /** Plain ipvsadm lines are loaded with one `-R` instead of one process each (large scenarios). */
  readonly bulkLoad?: boolean;
}

/**
 * A busybox sh script replaying the scenario, then the oracle's round trip (save, clear, restore
 * the saved text, save again). Step numbers match the oracle JSON's.
 */
export function scenarioScript(scenario: Scenario, options: ScriptOptions): string {
  const out: string[] = [
    `D=${quote(options.dir)}; N=0`,
    'ip() { /usr/sbin/ip "$@"; }',
    'REAL=$(command -v ipvsadm)',
    options.tool ? `ipvsadm() { ${options.tool} "$@"; }` : '',
    'done_step() { echo $? > "$D/$N.rc"; N=$((N+1)); }',
    'step() { echo "$*" > "$D/$N.cmd"; "$@" </dev/null > "$D/$N.out" 2> "$D/$N.err"; done_step; }',
    // listings also by the real ipvsadm in this namespace: same table, so the same kernel order
    'listing() { $REAL "$@" </dev/null > "$D/$N.ref" 2>/dev/null; step ipvsadm "$@"; }',
    'snap() {',
    ...SNAPSHOT_LISTINGS.map((args) => `  listing ${args}`),
    '  $REAL -S -n 2>/dev/null | sed -n "s/^-A \\(.*\\) -s .*$/\\1/p" | sort | head -n 4 > "$D/svcs"',
    '  while read -r svc; do listing -Ln $svc; done < "$D/svcs"',
    '  first=$(head -n 1 "$D/svcs"); [ -n "$first" ] && listing -L -n --exact --stats $first',
    '  true',
    '}',
  ];
  let bulk: string[] = [];
  const flushBulk = (): void => {
    if (bulk.length === 0) return;
    out.push(`ipvsadm -R >/dev/null 2>&1 <<'EOF'\n${bulk.join('\n')}\nEOF`, `N=$((N+${bulk.length}))`);
    bulk = [];
  };
  for (const step of scenario.steps) {
    if (step.kind === 'snapshot') {
      flushBulk();
      out.push('snap');
      continue;
    }
    const plain = /^ipvsadm (-[Aa] .*)$/.exec(step.text);
    if (options.bulkLoad && options.tool && plain) {
      bulk.push(plain[1]!);
      continue;
    }
    flushBulk();
    const stdin = step.text.includes('<<') ? '' : '</dev/null ';
    const listing = /^ipvsadm( -[LlS]\S*| --list| --save)( .*)?$/.exec(step.text);
    if (listing) out.push(`$REAL ${step.text.slice('ipvsadm '.length)} </dev/null > "$D/$N.ref" 2>/dev/null`);
    out.push(`printf '%s' ${quote(step.text.split('\n')[0]!)} > "$D/$N.cmd"`);
    out.push(`{ ${step.text}\n} ${stdin}> "$D/$N.out" 2> "$D/$N.err"; done_step`);
    for (const [at, lines] of options.align ?? []) {
      const commands = lines.map((argv) => `ipvsadm ${argv.map(quote).join(' ')} >/dev/null 2>&1`).join('; ');
      out.push(`if [ $((N-1)) -eq ${at} ]; then ${commands}; fi`);
    }
  }
  flushBulk();
  out.push(
    'listing -S -n; cp "$D/$((N-1)).out" "$D/saved"',
    'step ipvsadm -C',
    'echo "ipvsadm -R" > "$D/$N.cmd"; ipvsadm -R < "$D/saved" > "$D/$N.out" 2> "$D/$N.err"; done_step',
    'listing -S -n',
  );
  return out.filter((l) => l !== '').join('\n');
}

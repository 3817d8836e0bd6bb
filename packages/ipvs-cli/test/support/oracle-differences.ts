/**
 * Where tsipvs deliberately differs from a recorded ipvsadm run (each one is in
 * docs/compatibility.md). Every entry states ipvsadm's behaviour and ours side by side; `align`
 * replays what ipvsadm left in the table so the rest of the scenario can still be compared.
 */
import { additionsHelpText } from '../../src/help';

export interface ExpectedRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: number;
}

export interface Difference {
  /** Our output, computed from ipvsadm's recorded one (already renamed ipvsadm → tsipvs). */
  readonly expect: (ipvsadm: ExpectedRun) => ExpectedRun;
  /** Command lines that bring our table to the state ipvsadm's run left. */
  readonly align?: ReadonlyArray<readonly string[]>;
}

/** -h prints ipvsadm's text unchanged, then the section on tsipvs's additions. */
const HELP_WITH_ADDITIONS: Difference = {
  expect: (ipvsadm) => ({ ...ipvsadm, stdout: `${ipvsadm.stdout}${additionsHelpText('tsipvs')}` }),
};

/** -S also saves thresholds: appends the given text to the server lines naming `-r <server> `. */
function savesThresholds(additions: Record<string, string>): Difference {
  return {
    expect: (ipvsadm) => ({
      ...ipvsadm,
      stdout: ipvsadm.stdout
        .split('\n')
        .map((line) => {
          const server = Object.keys(additions).find((s) => line.includes(` -r ${s} `));
          return server ? `${line}${additions[server]}` : line;
        })
        .join('\n'),
    }),
  };
}

/** Restore validates every line first and is all-or-nothing; failures name the input line. */
function restoreFails(stderr: string, exit: number, ipvsadmLeft: ReadonlyArray<readonly string[]>): Difference {
  return { expect: () => ({ stdout: '', stderr, exit }), align: ipvsadmLeft };
}

const RESTORE_DUPLICATE_1 = [
  ['-A', '-t', '192.0.2.1:80', '-s', 'rr'],
  ['-a', '-t', '192.0.2.1:80', '-r', '192.0.2.10:80'],
  ['-a', '-t', '192.0.2.1:80', '-r', '192.0.2.11:80'],
];

/**
 * scenario name → step index (commands, snapshot entries, then the round trip save/clear/restore/save,
 * in file order) → difference. The round trip restores what the tool itself saved.
 */
export const DELIBERATE_DIFFERENCES: Record<string, Record<number, Difference>> = {
  // ipvsadm: the command must come first ("Try ..." exit 255); we accept it anywhere, so -6 is
  // then read before -f and refused like ipvsadm refuses "-A -6 -f 1".
  'errors-usage': {
    23: { expect: () => ({ stdout: '', stderr: '-6 used before -f\n\n', exit: 2 }) },
    // -h and --help: ipvsadm's text, then what tsipvs adds
    32: HELP_WITH_ADDITIONS,
    33: HELP_WITH_ADDITIONS,
  },
  // ipvsadm never saves thresholds (-x/-y); we do, when set.
  'errors-dest': Object.fromEntries([55, 65, 68].map((at) => [at, savesThresholds({ '192.0.2.35:80': ' -x 65536' })])),
  'list-variants': {
    21: savesThresholds({ '192.0.2.10:80': ' -x 5 -y 1' }),
    22: savesThresholds({ '192.0.2.10:80': ' -x 5 -y 1' }),
    33: savesThresholds({ '192.0.2.10:80': ' -x 5 -y 1' }),
    43: savesThresholds({ '192.0.2.10:80': ' -x 5 -y 1' }),
    46: savesThresholds({ '192.0.2.10:80': ' -x 5 -y 1' }),
  },
  'restore-basic': {
    8: savesThresholds({ '[2001:db8::10]:443': ' -x 10 -y 2' }),
    19: savesThresholds({ '[2001:db8::10]:443': ' -x 10 -y 2' }),
    22: savesThresholds({ '[2001:db8::10]:443': ' -x 10 -y 2' }),
  },
  thresholds: {
    13: savesThresholds({ '192.0.2.10:80': ' -x 100 -y 50', '192.0.2.12:80': ' -x 65535 -y 1', '192.0.2.13:80': ' -x 1000' }),
    21: savesThresholds({ '192.0.2.10:80': ' -x 100 -y 50', '192.0.2.12:80': ' -x 65535 -y 1', '192.0.2.13:80': ' -x 1000' }),
    24: savesThresholds({ '192.0.2.10:80': ' -x 100 -y 50', '192.0.2.12:80': ' -x 65535 -y 1', '192.0.2.13:80': ' -x 1000' }),
  },
  // ipvsadm -R applies line by line, reports kernel errors and goes on (exit = last line's); a bad
  // line aborts mid-file. We validate everything first and apply all or nothing.
  'restore-duplicate': {
    0: restoreFails('line 3: Service already exists\nrestore failed: nothing applied (the table is as before)\n', 255, RESTORE_DUPLICATE_1),
    2: restoreFails('line 1: Destination already exists\nrestore failed: nothing applied (the table is as before)\n', 255, [
      ['-A', '-t', '192.0.2.2:80', '-s', 'rr'],
    ]),
  },
  'restore-malformed': {
    0: restoreFails('line 3: illegal weight specified\n', 2, RESTORE_DUPLICATE_1.slice(0, 2)),
    2: restoreFails("line 2: Try `tsipvs -h' or 'tsipvs --help' for more information.\n", 255, [['-A', '-t', '192.0.2.3:80', '-s', 'rr']]),
    4: restoreFails('line 1: Scheduler or persistence engine not found\nrestore failed: nothing applied (the table is as before)\n', 255, [
      ['-A', '-t', '192.0.2.6:80', '-s', 'rr'],
    ]),
  },
};

/**
 * `tsipvs completion bash|zsh|fish`: the scripts are written from the option table and the
 * subcommand definitions, and they complete in the real shells (bash always; zsh and fish when
 * installed, else those tests are skipped).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { OPTIONS } from '../src/argv/spec';
import { SUBCOMMAND_WORDS } from '../src/argv/command';
import { tsipvsCompletionTree } from '../src/commands/completion';
import { IPVSADM_VALUES, commandPaths } from '../src/completion/model';
import { SCHEDULERS } from '../src/help';
import { FakeKernel, runWithFake } from './support/environment';

const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

async function script(shell: string): Promise<string> {
  const result = await runWithFake(new FakeKernel(), ['completion', shell]);
  expect(result).toMatchObject({ status: 0, stderr: '' });
  return result.stdout;
}

function run(shell: string, args: readonly string[], program: string): string[] {
  const result = spawnSync(shell, [...args, program], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${shell} failed (${result.status}): ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

const ALL_LONG_OPTIONS = [...new Set(OPTIONS.map((o) => `--${o.long}`))];

describe('completion scripts', () => {
  test('unknown shells are refused like other subcommand usage errors', async () => {
    expect(await runWithFake(new FakeKernel(), ['completion', 'tcsh'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n",
    });
    expect((await runWithFake(new FakeKernel(), ['completion'])).status).toBe(1);
  });

  test('the tree holds every option of the table and every subcommand word', () => {
    const tree = tsipvsCompletionTree('tsipvs');
    expect(tree.options.flatMap((o) => o.names).filter((n) => n.startsWith('--'))).toEqual([...ALL_LONG_OPTIONS, '--netns']);
    for (const { command } of commandPaths(tree)) expect(command.options.at(-1)).toMatchObject({ names: ['--netns'], value: { kind: 'netns' } });
    expect(tree.options.flatMap((o) => o.names).filter((n) => !n.startsWith('--')).sort()).toEqual(OPTIONS.flatMap((o) => (o.short ? [`-${o.short}`] : [])).sort());
    expect(tree.subcommands.map((c) => c.name)).toEqual([...SUBCOMMAND_WORDS]);
    const scheduler = tree.options.find((o) => o.names.includes('--scheduler'));
    expect(scheduler).toEqual({ names: ['-s', '--scheduler'], description: `one of ${SCHEDULERS.join('|')}`, value: { kind: 'words', words: SCHEDULERS } });
    expect(commandPaths(tree).map((c) => c.at)).toContain('realserver setup');
  });

  test('the value table names options of the table that take a value', () => {
    for (const long of Object.keys(IPVSADM_VALUES)) expect(OPTIONS.find((o) => o.long === long)?.arity).toBe('required');
  });

  test('each script names every long option of the table and every subcommand', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const text = await script(shell);
      const missing = [...ALL_LONG_OPTIONS, ...SUBCOMMAND_WORDS, '--dry-run', '--state-file'].filter((word) => {
        const spelled = shell === 'fish' && word.startsWith('--') ? `-l ${word.slice(2)}` : word;
        return !text.includes(spelled);
      });
      expect(`${shell}: ${missing.join(' ')}`).toBe(`${shell}: `);
    }
  });
});

describe('bash', () => {
  let source: string;
  beforeAll(async () => {
    source = await script('bash');
  });

  /** COMPREPLY for these words (the last one is being completed), as bash would split them. */
  function complete(...words: string[]): string[] {
    const call = `COMP_WORDS=(${words.map(shellQuote).join(' ')}); COMP_CWORD=${words.length - 1}; _tsipvs; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return run('bash', ['--norc', '--noprofile', '-c'], `${source}\n${call}`);
  }

  test('the script is valid bash and registers _tsipvs for tsipvs', () => {
    expect(run('bash', ['--norc', '--noprofile', '-c'], `${source}\ncomplete -p tsipvs`)).toEqual(['complete -F _tsipvs tsipvs']);
  });

  test('options, subcommands and option values', () => {
    expect(complete('tsipvs', '--sch')).toEqual(['--scheduler', '--sched-flags']);
    expect(complete('tsipvs', '-')).toEqual(expect.arrayContaining(['-A', '-L', '-s', '--add-service', '--json', '--tun-remcsum']));
    expect(complete('tsipvs', '-').length).toBe(OPTIONS.filter((o) => o.short).length + ALL_LONG_OPTIONS.length + 1); // and --netns
    expect(complete('tsipvs', '')).toEqual(expect.arrayContaining([...SUBCOMMAND_WORDS, '-A', '--list']));
    expect(complete('tsipvs', 're')).toEqual(['recover', 'realserver']);
    expect(complete('tsipvs', '-A', '-t', '10.0.0.1:80', '-s', '')).toEqual([...SCHEDULERS]);
    expect(complete('tsipvs', '-A', '-t', '10.0.0.1:80', '-s', 'w')).toEqual(['wrr', 'wlc']);
    expect(complete('tsipvs', '-A', '--scheduler', '=', 'lb')).toEqual(['lblc', 'lblcr']);
    expect(complete('tsipvs', '-A', '--scheduler', '=')).toEqual([...SCHEDULERS]);
    expect(complete('tsipvs', '-A', '-t', '')).toEqual([]);
    expect(complete('tsipvs', '-A', '-t', '10.0.0.1:80', '-p', '--per')).toEqual(['--persistent', '--persistent-conn']);
    expect(complete('tsipvs', '-A', '-t', '10.0.0.1:80', '-b', 'sh-port,sh-f')).toEqual(['sh-port,sh-fallback']);
    expect(complete('tsipvs', '--start-daemon', '')).toEqual(['master', 'backup']);
    expect(complete('tsipvs', '-n', 'app')).toEqual([]); // subcommands only as the first word
  });

  test('subcommands complete their own words', () => {
    expect(complete('tsipvs', 'sysctl', '')).toEqual(['get', 'set', 'list', 'help', '-h', '--help', '--netns']);
    expect(complete('tsipvs', 'realserver', 'setup', '--')).toEqual(['--mode', '--vip', '--dev', '--dry-run', '--json', '--state-file', '--persist', '--help', '--netns']);
    expect(complete('tsipvs', 'realserver', 'setup', '--dev', 'l')).toEqual(expect.arrayContaining(['lo']));
    expect(complete('tsipvs', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('tsipvs', 'apply', '--dry-run', '/et')).toEqual(['/etc']);
    expect(complete('tsipvs', 'apply', '--d')).toEqual(['--dry-run']);
  });

  test('--netns offers the names under /run/netns, for every command', () => {
    const names = existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [];
    expect(complete('tsipvs', '-Ln', '--netns', '').sort()).toEqual(names);
    expect(complete('tsipvs', 'director', 'setup', '--netns', '').sort()).toEqual(names);
    expect(complete('tsipvs', 'apply', '--net')).toEqual(['--netns']);
  });

  test('the global --netns NAME (or --netns=NAME) before the subcommand words leaves them completing', () => {
    expect(complete('tsipvs', '--netns', 'blue', 'sysctl', '')).toEqual(['get', 'set', 'list', 'help', '-h', '--help', '--netns']);
    expect(complete('tsipvs', '--netns', '=', 'blue', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('tsipvs', '--netns', 'blue', 're')).toEqual(['recover', 'realserver']);
    expect(complete('tsipvs', '--netns', 'blue', 'realserver', 'setup', '--st')).toEqual(['--state-file']);
  });
});

(has('zsh') ? describe : describe.skip)('zsh', () => {
  let source: string;
  beforeAll(async () => {
    source = await script('zsh');
  });

  /**
   * What _tsipvs offers for these words, with zsh's completion builtins replaced by functions that
   * print what they were given (the words array and CURRENT are plain parameters outside a widget).
   */
  function complete(...words: string[]): string[] {
    const stubs = [
      'compdef() { :; }',
      'compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}" || print -rl -- "$@"; }',
      '_describe() { shift 3; print -rl -- "${(@P)1}"; }',
      '_sequence() { print sequence; "$@"; }',
      '_files() { print files; }',
      '_net_interfaces() { print interfaces; }',
      'compset() { :; }',
    ];
    const call = `words=(${words.map(shellQuote).join(' ')}); CURRENT=${words.length}; _tsipvs`;
    return run('zsh', ['-f', '-c'], `${stubs.join('\n')}\n${source}\n${call}`);
  }

  test('the script parses (zsh -n)', () => {
    expect(spawnSync('zsh', ['-n', '-c', source]).status).toBe(0);
  });

  test('options with descriptions, values, subcommands', () => {
    expect(complete('tsipvs', '-')).toEqual(expect.arrayContaining(['-A:add virtual service with options', `--scheduler:one of ${SCHEDULERS.join('|')}`]));
    expect(complete('tsipvs', '-A', '-s', '')).toEqual([...SCHEDULERS]);
    expect(complete('tsipvs', '-A', '--scheduler=w')).toEqual([...SCHEDULERS]); // zsh itself keeps those matching "w"
    expect(complete('tsipvs', '-A', '-b', '')).toEqual(['sequence', 'flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port']);
    expect(complete('tsipvs', 'apply', '')).toEqual(['files']);
    expect(complete('tsipvs', 'director', 'setup', '--dev', '')).toEqual(['interfaces']);
    const sysctl = complete('tsipvs', 'sysctl', '');
    expect(sysctl.map((entry) => entry.split(':')[0])).toEqual(['get', 'set', 'list', 'help', '-h', '--help', '--netns']);
    expect(sysctl).toContain('-h:display help for command');
    for (const global of [['--netns', 'blue'], ['--netns=blue']]) {
      expect(complete('tsipvs', ...global, 'sysctl', '').map((entry) => entry.split(':')[0])).toEqual(['get', 'set', 'list', 'help', '-h', '--help', '--netns']);
    }
  });
});

(has('fish') ? describe : describe.skip)('fish', () => {
  let source: string;
  beforeAll(async () => {
    source = await script('fish');
  });

  /** The candidates `complete -C` gives for a command line (without their descriptions). */
  function complete(line: string): string[] {
    return run('fish', ['--no-config', '-c'], `${source}\ncomplete -C ${shellQuote(line)}`).map((candidate) => candidate.split('\t')[0]!);
  }

  test('the script parses (fish -n)', () => {
    expect(spawnSync('fish', ['--no-execute', '-c', source]).status).toBe(0);
  });

  test('options, values and subcommands', () => {
    expect(complete('tsipvs --schedu')).toEqual(['--scheduler']);
    expect(complete('tsipvs -A -t 10.0.0.1:80 -s ')).toEqual([...SCHEDULERS].sort());
    expect(complete('tsipvs -A --scheduler=wl')).toEqual(['--scheduler=wlc']);
    expect(complete('tsipvs -A -b sh-port,sh-f')).toEqual(['sh-port,sh-fallback']);
    expect(complete('tsipvs re')).toEqual(['realserver', 'recover']);
    expect(complete('tsipvs sysctl ')).toEqual(['get', 'help', 'list', 'set']);
    expect(complete('tsipvs completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('tsipvs realserver setup --st')).toEqual(['--state-file']);
    expect(complete('tsipvs -A -t ')).toEqual([]);
    expect(complete('tsipvs --netns blue sysctl ')).toEqual(['get', 'help', 'list', 'set']);
    expect(complete('tsipvs --netns=blue completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('tsipvs --netns blue realserver setup --st')).toEqual(['--state-file']);
  });
});

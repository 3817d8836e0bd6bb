import { fstatSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { CliEnvironment } from './environment';
import { main, SUBCOMMANDS } from './main';
import { FilesResolver } from './names/files';

const PROGRAM = 'tsipvs';

/**
 * All of stdin. A regular file (`< rules`) is read at once: a stream would read it 64 KiB at a time
 * through the thread pool. Pipes and terminals are streamed.
 */
async function readStdin(): Promise<string> {
  return fstatSync(0).isFile() ? readFileSync(0, 'latin1') : readAll(process.stdin);
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    stream.on('error', reject);
  });
}

export function processEnvironment(): CliEnvironment {
  return {
    program: PROGRAM,
    openApi: async () => (await import('@tsipvs/ipvs-core')).openIpvs(),
    resolver: new FilesResolver({ systemLookup: true }),
    readStdin,
    readConnections: () => readFile('/proc/net/ip_vs_conn', 'latin1').catch(() => undefined),
  };
}

const SUBCOMMAND_MODULES: Record<string, () => Promise<{ register(program: import('commander').Command): void }>> = {
  sysctl: () => import('./commands/sysctl'),
  realserver: () => import('./commands/realserver'),
  director: () => import('./commands/director'),
  apply: () => import('./commands/apply'),
};

/** `tsipvs sysctl|realserver|director ...`: commander programs (loaded only for these words). */
async function runSubcommand(argv: readonly string[]): Promise<void> {
  const { Command } = await import('commander');
  const program = new Command(PROGRAM);
  // only the module of the word given is loaded: start-up time matters for scripts and benchmarks
  const load = SUBCOMMAND_MODULES[argv[0] ?? ''];
  if (load) (await load()).register(program);
  await program.parseAsync([...argv], { from: 'user' });
}

/** The bin entry: runs with the real process's argv, streams and kernel. */
export async function runProcess(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] !== undefined && SUBCOMMANDS.has(argv[0])) {
    await runSubcommand(argv);
    return;
  }
  const result = await main(argv, processEnvironment());
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.status;
}

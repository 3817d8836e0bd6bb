/**
 * Runs one in-VM test case; started by the guest runner inside a fresh network namespace.
 * argv: <compiled test file> <case name>. Exit 0 = pass; on failure prints `@@CASE-ERROR <json>`.
 */
import { spawnSync } from 'node:child_process';
import { context, IPROUTE2, registeredCases, VmSkip } from './guest';

async function main(): Promise<void> {
  const [file, name] = process.argv.slice(2);
  if (!file || !name) throw new Error('usage: guest-case <file> <case>');
  const lo = spawnSync(IPROUTE2, ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (lo.status !== 0) throw new Error(`cannot bring lo up: ${lo.stderr}`);
  require(file);
  const found = registeredCases().find((c) => c.name === name);
  if (!found) throw new Error(`no case named ${JSON.stringify(name)} in ${file}`);
  await found.body(context);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof VmSkip) {
      process.stdout.write(`\n@@CASE-SKIP ${JSON.stringify(err.message)}\n`);
      process.exit(0);
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stdout.write(`\n@@CASE-ERROR ${JSON.stringify(text)}\n`);
    process.exit(1);
  },
);

/**
 * The demo, inside the VM: a direct-routing cluster (client, director, three real servers) built with
 * tsipvs only, twelve requests to the VIP, and the director's `tsipvs -Ln --stats` afterwards.
 */
import { Lab, sleep, tally } from './lab';
import { sharedSegment } from './topologies';

function show(title: string, text: string): void {
  process.stdout.write(`\n$ ${title}\n${text.endsWith('\n') || text === '' ? text : `${text}\n`}`);
}

async function main(): Promise<void> {
  const lab = new Lab('demo');
  try {
    const topo = sharedSegment(lab, 3);
    const svc = `${topo.vip}:80`;
    const steps: Array<[string, string, string[]]> = [
      ['director', topo.director, ['director', 'setup', '--mode', 'dr', '--dev', topo.directorDev, '--vip', topo.vip]],
      ...topo.servers.map((rs): [string, string, string[]] => [rs.name, rs.ns, ['realserver', 'setup', '--mode', 'dr', '--vip', topo.vip]]),
      ['director', topo.director, ['-A', '-t', svc, '-s', 'wrr']],
      ...topo.servers.map((rs, i): [string, string, string[]] => ['director', topo.director, ['-a', '-t', svc, '-r', rs.address, '-g', '-w', String(i === 0 ? 2 : 1)]]),
    ];
    for (const [where, ns, args] of steps) show(`[${where}] tsipvs ${args.join(' ')}`, lab.mustTsipvs(ns, args));
    for (const rs of topo.servers) await lab.httpServer(rs.ns, rs.name, [80]);
    const answers = lab.fetch(topo.client, `http://${topo.vip}/`, 12);
    process.stdout.write(`\n[client] 12 requests to http://${topo.vip}/ (weights rs1=2, rs2=1, rs3=1):\n`);
    answers.forEach((a, i) => process.stdout.write(`  request ${String(i + 1).padStart(2)} answered by ${a}\n`));
    process.stdout.write(`  totals: ${JSON.stringify(tally(answers))}\n`);
    await sleep(3000); // the kernel's estimator publishes counters every 2 s
    show('[director] tsipvs -Ln --stats', lab.mustTsipvs(topo.director, ['-Ln', '--stats']));
    show('[director] tsipvs -Ln', lab.mustTsipvs(topo.director, ['-Ln']));
  } finally {
    lab.destroy();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});

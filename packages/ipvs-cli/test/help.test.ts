/** -h: ipvsadm's text first (the oracle compares it byte for byte), then the section on our additions. */
import { OPTIONS } from '../src/argv/spec';
import { SUBCOMMAND_WORDS } from '../src/argv/command';
import { additionsHelpText, helpText, optionSummaries } from '../src/help';
import { FakeKernel, runWithFake } from './support/environment';

describe('-h', () => {
  test("ipvsadm's text, then the additions, on stdout with status 0", async () => {
    const result = await runWithFake(new FakeKernel(), ['-h']);
    expect(result).toEqual({ status: 0, stdout: helpText('tsipvs'), stderr: '' });
    const additions = additionsHelpText('tsipvs');
    expect(result.stdout.endsWith(additions)).toBe(true);
    const ipvsadmPart = result.stdout.slice(0, -additions.length);
    expect(ipvsadmPart).toMatch(/^tsipvs v1\.31 2019\/12\/24 \(compiled with popt and IPVS v1\.2\.1\)\nUsage:\n/);
    expect(ipvsadmPart).toMatch(/ {2}--mcast-ttl ttl {21}Multicast TTL \(default=1\)\n$/);
  });

  test('the additions name every subcommand and every option of ours', () => {
    const additions = additionsHelpText('tsipvs');
    for (const word of SUBCOMMAND_WORDS) expect(additions).toContain(`tsipvs ${word}`);
    expect(additions).toContain('--json');
    expect(additions).toContain('--pretty');
  });

  test('every long option but --version has a summary (ipvsadm does not list -v either)', () => {
    const summaries = optionSummaries();
    const missing = [...new Set(OPTIONS.map((o) => o.long))].filter((long) => !summaries.get(long));
    expect(missing).toEqual(['version']);
    expect(summaries.get('tcp-service')).toBe('service-address is host[:port]');
    expect(summaries.get('set')).toBe('set connection timeout values');
    expect(summaries.get('json')).toBe('listings (-L) as JSON');
  });
});

/** `tsipvs version` (ours) next to `-v` (ipvsadm's line, unchanged). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FakeKernel, TEST_VERSIONS, runWithFake } from './support/environment';

/** The package root; this file runs from packages/ipvs-cli/dist/test. */
const PACKAGE = resolve(__dirname, '../..');

describe('tsipvs version', () => {
  test("prints tsipvs's, the kernel's IPVS and Node's versions", async () => {
    expect(await runWithFake(new FakeKernel(), ['version'])).toEqual({
      status: 0,
      stdout: `tsipvs ${TEST_VERSIONS.tsipvs}\nIP Virtual Server version 1.2.1 (size=4096)\nNode.js ${TEST_VERSIONS.node}\n`,
      stderr: '',
    });
  });

  test('without IPVS: the other two versions, the reason on stderr, exit 2', async () => {
    const kernel = new FakeKernel();
    kernel.privileged = false;
    expect(await runWithFake(kernel, ['version'])).toEqual({
      status: 2,
      stdout: `tsipvs ${TEST_VERSIONS.tsipvs}\nIP Virtual Server version unknown\nNode.js ${TEST_VERSIONS.node}\n`,
      stderr: "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
    });
  });

  test("-v stays ipvsadm's line; extra words are refused", async () => {
    expect((await runWithFake(new FakeKernel(), ['-v'])).stdout).toBe('tsipvs v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
    expect(await runWithFake(new FakeKernel(), ['version', 'now'])).toEqual({
      status: 1,
      stdout: '',
      stderr: "error: too many arguments for 'version'. Expected 0 arguments but got 1.\n",
    });
  });

  test('the installed program reads its version from its package.json and Node from the process', () => {
    const { version } = JSON.parse(readFileSync(resolve(PACKAGE, 'package.json'), 'utf8')) as { version: string };
    const bundle = spawnSync(process.execPath, [resolve(PACKAGE, 'bin/tsipvs'), 'version'], { encoding: 'utf8' });
    const [tsipvs, , node] = bundle.stdout.split('\n');
    expect([tsipvs, node]).toEqual([`tsipvs ${version}`, `Node.js ${process.version}`]);
    // the compiled modules (dist/src) find the same package.json
    const script = "process.argv = ['node', 'tsipvs', 'version']; require('./dist/src/process').runProcess()";
    const modules = spawnSync(process.execPath, ['-e', script], { cwd: PACKAGE, encoding: 'utf8' });
    expect(modules.stdout.split('\n')[0]).toBe(`tsipvs ${version}`);
  });
});

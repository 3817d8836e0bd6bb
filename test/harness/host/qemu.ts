/**
 * Boots the lab kernel under qemu (TCG: KVM does not work on these machines), runs one shell
 * command in the guest, and returns what it printed and its exit status. The guest's console goes
 * to a log file; the command's output and the structured markers go to the second serial port.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MARKER } from './guest-files';

export interface BootOptions {
  readonly vmlinuz: string;
  readonly initrd: string;
  /** Shell command run in the guest from /. */
  readonly command: string;
  readonly workDir: string;
  readonly timeoutMs: number;
  readonly memoryMb?: number;
  readonly cpus?: number;
  /** Called for every line of guest output (markers included) as it arrives. */
  readonly onLine?: (line: string) => void;
}

export interface GuestRecord {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface BootResult {
  /** Exit status of the guest command; undefined when the guest never reported one. */
  readonly status: number | undefined;
  /** Guest output lines that are not markers. */
  readonly output: string[];
  /** Structured records the guest sent (markers). */
  readonly records: GuestRecord[];
  readonly wallMs: number;
  /** Seconds of guest uptime when /init started and when the command ended. */
  readonly bootedAt?: number | undefined;
  readonly endedAt?: number | undefined;
  readonly kernelRelease?: string | undefined;
  /** Why the run is a failure beyond a non-zero status (timeout, panic, no marker). */
  readonly failure?: string | undefined;
  readonly consoleLog: string;
}

export function bootGuest(options: BootOptions): Promise<BootResult> {
  fs.mkdirSync(options.workDir, { recursive: true });
  const consolePath = path.join(options.workDir, 'console.log');
  const channelPath = path.join(options.workDir, 'channel.log');
  fs.writeFileSync(consolePath, '');
  fs.writeFileSync(channelPath, '');
  const encoded = Buffer.from(options.command, 'utf8').toString('base64');
  const append = `console=ttyS0 quiet loglevel=3 panic=-1 oops=panic lab=${encoded}`;
  if (append.length > 2000) throw new Error('guest command too long for the kernel command line');
  const args = [
    '-accel', 'tcg', '-cpu', 'max', '-smp', String(options.cpus ?? 2), '-m', String(options.memoryMb ?? 3072),
    '-display', 'none', '-monitor', 'none', '-no-reboot', '-nodefaults',
    '-chardev', `file,id=console,path=${consolePath}`, '-serial', 'chardev:console',
    '-chardev', `file,id=channel,path=${channelPath}`, '-serial', 'chardev:channel',
    '-kernel', options.vmlinuz, '-initrd', options.initrd, '-append', append,
  ];
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuStderr = '';
  child.stderr.on('data', (d: Buffer) => (qemuStderr += d.toString()));

  const records: GuestRecord[] = [];
  const output: string[] = [];
  let offset = 0;
  let partial = '';
  const drain = () => {
    const fd = fs.openSync(channelPath, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      partial += buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const raw of lines) handleLine(raw.replace(/\r$/, ''));
  };
  const handleLine = (line: string) => {
    options.onLine?.(line);
    const at = line.indexOf(MARKER);
    if (at >= 0) {
      try {
        records.push(JSON.parse(line.slice(at + MARKER.length)) as GuestRecord);
        return;
      } catch {
        /* not a marker after all: keep it as output */
      }
    }
    output.push(line);
  };
  const poll = setInterval(drain, 200);

  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      drain();
      if (partial) handleLine(partial);
      const consoleLog = fs.readFileSync(consolePath, 'utf8');
      const exit = records.find((r) => r.type === 'exit');
      const booted = records.find((r) => r.type === 'booted');
      let failure: string | undefined;
      if (timedOut) failure = `guest timed out after ${Math.round(options.timeoutMs / 1000)} s (qemu killed)`;
      else if (/Kernel panic|BUG: |Oops: /.test(consoleLog)) failure = 'kernel panic or oops in the guest (see console log)';
      else if (!booted) failure = `the guest never reached /init (qemu exit ${code ?? signal}; ${qemuStderr.trim() || 'no qemu error'})`;
      else if (!exit) failure = 'the guest stopped without reporting an exit status';
      resolve({
        status: typeof exit?.status === 'number' ? exit.status : undefined,
        output,
        records,
        wallMs: Date.now() - started,
        bootedAt: booted ? Number(booted.uptime) : undefined,
        endedAt: exit ? Number(exit.uptime) : undefined,
        kernelRelease: typeof booted?.kernel === 'string' ? booted.kernel : undefined,
        failure,
        consoleLog,
      });
    });
  });
}

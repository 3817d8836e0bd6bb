/** The reader: comments, quotes, braces anywhere, includes with globs, and every message's file:line. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decomment, expandBraces, glob, memoryFileSystem, splitQuotedEscaped, splitWords } from '../src/config/reader';
import { loadKeepalivedConfig } from '../src/config/load';
import type { HttpCheck, MiscCheck } from '../src/config/model';
import { MAIN, errors, failure, parse, vs, warnings } from './config-support';

describe('decomment (keepalived rules)', () => {
  test.each([
    ['delay_loop 3 # comment', 'delay_loop 3'],
    ['delay_loop 3 ! comment', 'delay_loop 3'],
    ['  weight 1#no space', 'weight 1'],
    ['! whole line', ''],
    ['misc_path "/bin/check #1 !"  # real comment', 'misc_path "/bin/check #1 !"'],
    ['path /a\\#b', 'path /a#b'],
    ['path /a\\!b ! c', 'path /a!b'],
    ['router_id node1.qinglin.com #修改处:自定义为主机名或域名。', 'router_id node1.qinglin.com'],
  ])('%j -> %j', (line, text) => {
    expect(decomment(line)).toEqual({ text, unterminatedQuote: false });
  });

  test('an unterminated quote is reported', () => {
    expect(decomment('notify_up "/bin/x').unterminatedQuote).toBe(true);
  });
});

describe('words', () => {
  test('a word starting with " runs to the next " (quotes dropped); a quote also ends a word', () => {
    expect(splitWords('notify_up "/bin/n.sh up" root').map((w) => w.word)).toEqual(['notify_up', '/bin/n.sh up', 'root']);
    expect(splitWords('a"b c"').map((w) => w.word)).toEqual(['a', 'b c']);
    expect(splitWords('x\t y').map((w) => [w.word, w.offset])).toEqual([['x', 0], ['y', 3]]);
  });

  test("script words: ' and \" quotes, escapes", () => {
    expect(splitQuotedEscaped(`/bin/check.sh 'a b' "c d" e\\ f \\x41\\101\\t\\cA`)).toEqual(['/bin/check.sh', 'a b', 'c d', 'e f', 'AA\t\x01']);
    expect(splitQuotedEscaped(`abcd" efg h jkl "mnop`)).toEqual(['abcd efg h jkl mnop']);
  });
});

describe('braces anywhere', () => {
  test('blocks on the keyword line, on the next line, and several on one line', async () => {
    const config = await parse([
      'virtual_server 10.0.0.1 80',
      '{',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      '  real_server 10.0.1.1 80 { weight 2 }',
      '  real_server 10.0.1.2 80 {',
      '    TCP_CHECK',
      '    {',
      '      connect_timeout 2',
      '    }',
      '  }',
      '}',
    ].join('\n'));
    const [a, b] = config.virtualServers[0]!.realServers;
    expect(a).toMatchObject({ address: '10.0.1.1', weight: 2, checkers: [] });
    expect(b!.checkers).toMatchObject([{ kind: 'TCP_CHECK', connectTimeoutMs: 2000, at: { line: 8 } }]);
    expect(config.messages).toEqual([]);
  });

  test("the issue's one-line real server is read fully, with a warning where keepalived would read only the first keyword", async () => {
    const text = vs('', '').replace(/ {2}real_server[^]*$/, '  real_server 10.0.0.20 80 { weight 1  HTTP_GET { url { path /  status_code 200 } connect_timeout 1 } }\n}\n');
    const config = await parse(text);
    const rs = config.virtualServers[0]!.realServers[0]!;
    expect(rs.weight).toBe(1);
    const check = rs.checkers[0] as HttpCheck;
    expect(check).toMatchObject({ kind: 'HTTP_GET', connectTimeoutMs: 1000, urls: [{ path: '/', statusCodes: [200] }] });
    expect(config.messages.map((m) => `${m.at.line}: ${m.text}`)).toEqual([
      "6: 'HTTP_GET' follows another keyword on its line: keepalived reads only the first keyword of a line and would ignore it",
      "6: 'status_code' follows another keyword on its line: keepalived reads only the first keyword of a line and would ignore it",
    ]);
  });

  test('a stray } and a missing } are errors with their line', async () => {
    expect(await errors(`${vs('')}}\n`)).toEqual([`${MAIN}:10: error: stray '}': no block is open`]);
    expect(await errors('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  real_server 10.0.1.1 80 {\n    weight 1\n}\n')).toEqual([
      `${MAIN}:1: error: missing '}': the block opened here is not closed`,
    ]);
    expect(await errors(`{\n}\n${vs('')}`)).toEqual([`${MAIN}:1: error: unexpected '{' in top level: no keyword opens this block`]);
  });

  test('braces inside quotes are text', async () => {
    const config = await parse(vs('', 'notify_up "/bin/notify {up}"'));
    expect(config.virtualServers[0]!.realServers[0]!.notifyUp).toBe("/bin/notify '{up}'");
  });

  test('an unterminated quote is an error', async () => {
    expect(await errors(vs('', 'notify_up "/bin/notify up'))).toContain(`${MAIN}:7: error: unterminated quote in 'notify_up "/bin/notify up'`);
  });

  test("keepalived's @conditional, $parameter and ~SEQ lines are warned about and skipped", async () => {
    expect(await warnings(`@node1 garbage here\n$X=1\n${vs('')}`)).toEqual([
      `${MAIN}:1: warning: keepalived's conditional configuration (@), parameter substitution ($) and sequences (~) are not supported: line ignored`,
      `${MAIN}:2: warning: keepalived's conditional configuration (@), parameter substitution ($) and sequences (~) are not supported: line ignored`,
    ]);
  });
});

describe('include', () => {
  const rsFile = (address: string) => `real_server ${address} 80 {\n  weight 1\n}\n`;

  test('relative to the including file, several matches in sorted order, nested includes relative to their own file', async () => {
    const config = await parse(vs('  include rs/*.conf').replace('  real_server 10.0.1.1 80 {\n    weight 1\n  }\n', ''), {
      '/etc/keepalived/rs/b.conf': rsFile('10.0.1.2'),
      '/etc/keepalived/rs/a.conf': `${rsFile('10.0.1.1')}include ../more/c.conf\n`,
      '/etc/keepalived/rs/.hidden.conf': rsFile('10.0.1.9'),
      '/etc/keepalived/more/c.conf': rsFile('10.0.1.3'),
    });
    expect(config.virtualServers[0]!.realServers.map((rs) => [rs.address, rs.at.file, rs.at.line])).toEqual([
      ['10.0.1.1', '/etc/keepalived/rs/a.conf', 1],
      ['10.0.1.3', '/etc/keepalived/more/c.conf', 1],
      ['10.0.1.2', '/etc/keepalived/rs/b.conf', 1],
    ]);
  });

  test('absolute patterns, braces and character classes', async () => {
    expect(expandBraces('/a/{x,y{1,2}}/z')).toEqual(['/a/x/z', '/a/y1/z', '/a/y2/z']);
    const fs = memoryFileSystem({ '/c/web1.conf': '', '/c/web2.conf': '', '/c/webx.conf': '', '/c/db.conf': '', '/c/sub/web3.conf': '' });
    expect(await glob(fs, '/c/web[0-9].conf')).toEqual({ files: ['/c/web1.conf', '/c/web2.conf'], directories: [], wildcard: true });
    expect(await glob(fs, '/c/{db,web?}.conf')).toEqual({ files: ['/c/db.conf', '/c/web1.conf', '/c/web2.conf', '/c/webx.conf'], directories: [], wildcard: true });
    expect(await glob(fs, '/c/*')).toMatchObject({ directories: ['/c/sub'] });
    expect(await glob(fs, '/c/[!w]*.conf')).toMatchObject({ files: ['/c/db.conf'] });
  });

  test('no match is a warning, as in keepalived; includew/includea make it an error', async () => {
    expect(await warnings(`include conf.d/*.conf\ninclude /etc/keepalived/missing.conf\n${vs('')}`)).toEqual([
      `${MAIN}:1: warning: include conf.d/*.conf: no file matches`,
      `${MAIN}:2: warning: include /etc/keepalived/missing.conf: no such file`,
    ]);
    expect(await errors(`includew conf.d/*.conf\nincludem /x.conf\nincluder /y.conf\n${vs('')}`)).toEqual([
      `${MAIN}:1: error: include conf.d/*.conf: no file matches`,
      `${MAIN}:2: error: include /x.conf: no such file`,
    ]);
  });

  test('a cycle is an error naming the chain', async () => {
    expect(await errors(`include a.conf\n${vs('')}`, { '/etc/keepalived/a.conf': 'include b.conf\n', '/etc/keepalived/b.conf': 'include a.conf\n' })).toEqual([
      `/etc/keepalived/b.conf:1: error: include cycle: ${MAIN} -> /etc/keepalived/a.conf -> /etc/keepalived/b.conf -> /etc/keepalived/a.conf`,
    ]);
    expect(await errors(`include keepalived.conf\n${vs('')}`)).toEqual([`${MAIN}:1: error: include cycle: ${MAIN} -> ${MAIN}`]);
  });

  test('a block may span files; messages name the file and line where the problem is', async () => {
    const messages = await failure('virtual_server 10.0.0.1 80 {\n  include vs-body.conf\n}\n', {
      '/etc/keepalived/vs-body.conf': '! body\nlb_algo rr\nlb_kind XX\nprotocol TCP\nreal_server 10.0.1.1 80 {\n  weight 1\n  bogus 3\n}\n',
    });
    expect(messages).toEqual([
      "/etc/keepalived/vs-body.conf:3: error: lb_kind: unknown forwarding method 'XX' (NAT, DR or TUN)",
      "/etc/keepalived/vs-body.conf:7: warning: unknown keyword 'bogus' in real_server",
    ]);
  });

  test('on disk: directories and executable files are skipped with a warning, as keepalived does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ka-config-'));
    try {
      fs.mkdirSync(path.join(dir, 'conf.d', 'sub.conf'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'conf.d', 'b.conf'), 'real_server 10.0.1.2 80 {\n  weight 2\n}\n');
      fs.writeFileSync(path.join(dir, 'conf.d', 'x.conf'), 'real_server 10.0.1.3 80 {\n}\n', { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'keepalived.conf'), vs('  include conf.d/*.conf'));
      const config = await loadKeepalivedConfig(path.join(dir, 'keepalived.conf'));
      expect(config.virtualServers[0]!.realServers.map((rs) => rs.address)).toEqual(['10.0.1.2', '10.0.1.1']);
      expect(config.messages.map((m) => m.text)).toEqual([
        `include conf.d/*.conf: ${dir}/conf.d/sub.conf is a directory - skipped`,
        `include conf.d/*.conf: ${dir}/conf.d/x.conf is not a regular non-executable file - skipped (as keepalived does)`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a main file named by a relative path includes relative to its directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ka-config-'));
    const cwd = process.cwd();
    try {
      fs.mkdirSync(path.join(dir, 'etc', 'rs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'etc', 'rs', 'a.conf'), 'real_server 10.0.1.5 80 {\n}\n');
      fs.writeFileSync(path.join(dir, 'etc', 'keepalived.conf'), vs('  include rs/*.conf'));
      process.chdir(dir);
      const config = await loadKeepalivedConfig('etc/keepalived.conf');
      expect(config.virtualServers[0]!.realServers.map((rs) => [rs.address, rs.at.file])).toEqual([
        ['10.0.1.5', path.join(fs.realpathSync(dir), 'etc', 'rs', 'a.conf')], ['10.0.1.1', 'etc/keepalived.conf'],
      ]);
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a main file that cannot be read is an error naming it', async () => {
    const error = (await loadKeepalivedConfig('/nonexistent/keepalived.conf').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^\/nonexistent\/keepalived\.conf: error: cannot read the configuration: ENOENT/);
  });
});

describe('scripts are read as keepalived reads them', () => {
  test('misc_path: the quoted command and its arguments; unquoted, only the first word is the script', async () => {
    const config = await parse(vs('', `MISC_CHECK {\n      misc_path "/usr/local/bin/check 'a b' c"\n    }\n    MISC_CHECK {\n      misc_path /usr/local/bin/other\n    }`));
    const [quoted, plain] = config.virtualServers[0]!.realServers[0]!.checkers as MiscCheck[];
    expect(quoted).toMatchObject({ args: ['/usr/local/bin/check', 'a b', 'c'], path: "/usr/local/bin/check 'a b' c" });
    expect(plain).toMatchObject({ args: ['/usr/local/bin/other'], path: '/usr/local/bin/other' });
  });
});

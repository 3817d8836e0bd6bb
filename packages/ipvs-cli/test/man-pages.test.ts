/**
 * The man pages (man/*.8.md, built into man/*.8 by `npm run build`): the package ships and links every
 * one of them, and each describes every option its command has, so a new option cannot go unmentioned.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SUBCOMMAND_WORDS } from '../src/argv/command';
import { OPTIONS } from '../src/argv/spec';
import { tsipvsCompletionTree } from '../src/commands/completion';
import { commandPaths, type CompletionCommand } from '../src/completion/model';

/** The package root; this file runs from packages/ipvs-cli/dist/test. */
const PACKAGE = resolve(__dirname, '../..');
const MAN = join(PACKAGE, 'man');
const SOURCES = readdirSync(MAN).filter((file) => file.endsWith('.8.md')).sort();
const source = (page: string): string => readFileSync(join(MAN, `${page}.8.md`), 'utf8');

/** Every option spelling of a command and of the commands below it. */
function optionNames(command: CompletionCommand): string[] {
  return [...new Set(commandPaths(command).flatMap(({ command: c }) => c.options.flatMap((o) => o.names)))];
}

describe('man pages', () => {
  test('package.json links every page into section 8 and ships them', () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { man: string[]; files: string[] };
    expect([...manifest.man].sort()).toEqual(SOURCES.map((file) => `./man/${file.replace(/\.md$/, '')}`));
    expect(manifest.files).toContain('man/*.8');
  });

  test('the build made each page from its source', () => {
    for (const file of SOURCES) {
      const page = join(MAN, file.replace(/\.md$/, ''));
      expect(existsSync(page)).toBe(true);
      const name = file.replace(/\.8\.md$/, '').toUpperCase().replaceAll('-', '\\-');
      expect(readFileSync(page, 'utf8')).toMatch(new RegExp(`^\\.TH "${name.replaceAll('\\', '\\\\')}" "8" `));
    }
  });

  test('tsipvs(8) describes every option of the table and every subcommand', () => {
    const text = source('tsipvs');
    const longs = [...new Set(OPTIONS.map((o) => `\`--${o.long}`))];
    const shorts = OPTIONS.flatMap((o) => (o.short ? [`\`-${o.short}\``] : []));
    expect([...longs, ...shorts].filter((spelling) => !text.includes(spelling))).toEqual([]);
    expect(SUBCOMMAND_WORDS.filter((word) => !text.includes(`\`tsipvs ${word}`))).toEqual([]);
  });

  test("each subcommand's page describes every option of its definition", () => {
    const tree = tsipvsCompletionTree('tsipvs');
    // subcommand → its page (the exporter is described with keepalived, whose metrics it serves)
    const pages: Record<string, string> = { apply: 'apply', sysctl: 'sysctl', realserver: 'realserver', director: 'director', keepalived: 'keepalived', exporter: 'keepalived', drain: 'drain' };
    for (const [word, page] of Object.entries(pages)) {
      const command = tree.subcommands.find((c) => c.name === word)!;
      const text = source(`tsipvs-${page}`);
      expect(`${word}: ${optionNames(command).filter((name) => !text.includes(`\`${name}\``)).join(' ')}`).toBe(`${word}: `);
    }
  });

  (spawnSync('groff', ['-v']).status === 0 ? test : test.skip)('groff formats every page without a warning', () => {
    for (const file of SOURCES) {
      const result = spawnSync('groff', ['-man', '-t', '-ww', '-z', join(MAN, file.replace(/\.md$/, ''))], { encoding: 'utf8' });
      expect(`${file}: ${result.stderr}`).toBe(`${file}: `);
    }
  });
});

'use strict';
/**
 * Converts the man page sources, man/*.8.md (Markdown in ronn's layout: `# name(8) -- summary`, then
 * `## SECTION`s), into the roff pages man/*.8 with marked-man. Run by `npm run build`; a page newer
 * than its source, package.json (its version is in the footer) and this script is left alone. The
 * pages ship with the package, whose "man" field links them into share/man/man8 on a global install.
 * SOURCE_DATE_EPOCH fixes the date in their header (marked-man reads it).
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const manDir = path.join(root, 'man');
const packageJson = path.join(root, 'package.json');

function isUpToDate(source, page) {
  if (!fs.existsSync(page)) return false;
  const built = fs.statSync(page).mtimeMs;
  return [source, packageJson, __filename].every((input) => fs.statSync(input).mtimeMs <= built);
}

async function convert() {
  const pending = fs
    .readdirSync(manDir)
    .filter((file) => file.endsWith('.8.md'))
    .map((file) => ({ source: path.join(manDir, file), page: path.join(manDir, file.replace(/\.md$/, '')) }))
    .filter(({ source, page }) => !isUpToDate(source, page));
  if (pending.length === 0) return;
  // both are ES modules, loaded only when a page is converted
  const { Marked } = await import('marked');
  const { default: markedMan } = await import('marked-man');
  const { version } = JSON.parse(fs.readFileSync(packageJson, 'utf8'));
  for (const { source, page } of pending) {
    const roff = new Marked(markedMan, { breaks: false, manVersion: `tsipvs ${version}` }).parse(fs.readFileSync(source, 'utf8'));
    fs.writeFileSync(page, roff);
  }
}

convert().catch((error) => {
  console.error(`man pages: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

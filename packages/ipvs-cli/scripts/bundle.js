'use strict';
/**
 * Bundles the compiled CLI (dist/src) and the workspace libraries it uses into one file,
 * dist/tsipvs.js, which bin/tsipvs loads. One file instead of ~180 modules: under emulation (and on
 * small directors) resolving, reading and compiling each module cost more than the work of a short
 * command. Lazily imported modules stay lazy (esbuild wraps them); npm dependencies stay external:
 * `netlink` and `koffi` load native code from their own folders, commander and table are only needed
 * by subcommands and --pretty, cli-progress only by the progress line of long restores and applies,
 * prom-client only by metrics. The workspace libraries stay inside, @tsipvs/keepalived too: a library
 * loaded from node_modules would bring a second copy of the core, whose errors the first one's
 * `instanceof` does not recognise.
 *
 * Then V8's code cache of the bundle, dist/tsipvs.cache (see bin/tsipvs): compiling 560 KB of
 * JavaScript was most of a short command's start-up. It is made after the commands of code-cache.js
 * ran. The bundle's first line names its build (a hash of its text), and the cache starts with the
 * same line, so a cache never serves another build.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire, wrap } = require('node:module');
const vm = require('node:vm');
const esbuild = require('esbuild');
const { trainedCodeCache } = require('./code-cache');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist/tsipvs.js');
const result = esbuild.buildSync({
  entryPoints: [path.join(root, 'dist/src/process.js')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['netlink', 'koffi', 'prom-client', 'commander', 'table', 'cli-progress'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  write: false,
});
const js = result.outputFiles.find((f) => f.path === outfile);
const map = result.outputFiles.find((f) => f.path === `${outfile}.map`);
// bin/tsipvs reads the bundle as latin1, which equals UTF-8 only for ASCII (esbuild escapes the rest by default)
if (js.contents.some((byte) => byte > 0x7f)) throw new Error('dist/tsipvs.js is not ASCII: bin/tsipvs reads it as latin1');
const buildLine = `// tsipvs build ${crypto.createHash('sha256').update(js.contents).digest('hex').slice(0, 32)}\n`;
const source = buildLine + js.text;
fs.writeFileSync(outfile, source);
// the build line shifts every generated line by one: an empty first line in the mappings
const sourceMap = JSON.parse(map.text);
sourceMap.mappings = `;${sourceMap.mappings}`;
fs.writeFileSync(map.path, JSON.stringify(sourceMap));

// The cache holds what V8 compiled while the bundle ran its top level and the commands of code-cache.js.
const script = new vm.Script(wrap(source), { filename: outfile });
const loadBundle = (require) => {
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, require, bundle, outfile, path.dirname(outfile));
  return bundle;
};
trainedCodeCache(script, loadBundle, createRequire(outfile)).then(
  (cache) => fs.writeFileSync(path.join(root, 'dist/tsipvs.cache'), Buffer.concat([Buffer.from(buildLine), cache])),
  (error) => {
    process.exitCode = 1;
    console.error(error.message);
  },
);

'use strict';
/**
 * Bundles the CLI and the workspace libraries it uses into one file, dist/tsipvs.js, which
 * bin/tsipvs loads. One file instead of ~180 modules: under emulation (and on small directors)
 * resolving, reading and compiling each module cost more than the work of a short command. The
 * bundle is made from the TypeScript sources (tsc -b has type-checked them first), not from tsc's
 * CommonJS output: from ES modules esbuild puts every module in one scope, without a wrapper per
 * module, `exports` objects or the getters of re-exports, so the top level is shorter and calls
 * across modules are plain calls. The workspace packages' entry points (their package.json
 * `exports`) are aliased to the source files they are compiled from. Lazily imported modules stay
 * lazy (esbuild wraps them); npm dependencies stay external:
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

/**
 * '@tsipvs/ipvs-core/wire' -> packages/ipvs-core/src/wire.ts: every entry point of every workspace
 * library the CLI depends on (its package.json), aliased to the source it is compiled from.
 */
function sourceAliases() {
  const aliases = {};
  const cli = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const name of Object.keys(cli.dependencies).filter((d) => d.startsWith('@tsipvs/'))) {
    const manifest = require.resolve(`${name}/package.json`);
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      const compiled = /^\.\/dist\/(src\/.*)\.js$/.exec(target.default);
      if (!compiled) throw new Error(`${name}: export ${subpath} is not a file of dist/src`);
      aliases[name + subpath.slice(1)] = path.join(path.dirname(manifest), `${compiled[1]}.ts`);
    }
  }
  return aliases;
}

const result = esbuild.buildSync({
  entryPoints: [path.join(root, 'src/process.ts')],
  alias: sourceAliases(),
  // import() of an npm package or node module as require(), as tsc compiles it: bin/tsipvs runs the
  // bundle as a vm.Script, which has no callback for dynamic import
  supported: { 'dynamic-import': false },
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['netlink', 'koffi', 'prom-client', 'commander', 'table', 'cli-progress'],
  minifyWhitespace: true,
  minifySyntax: true,
  // short local names: a quarter less to read and to deserialize at every start (no code reads a
  // function's or class's own name; errors carry explicit `name`s); the source map has the real ones
  minifyIdentifiers: true,
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

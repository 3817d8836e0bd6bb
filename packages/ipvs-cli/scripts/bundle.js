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
 */
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
esbuild.buildSync({
  entryPoints: [path.join(root, 'dist/src/process.js')],
  outfile: path.join(root, 'dist/tsipvs.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['netlink', 'koffi', 'prom-client', 'commander', 'table', 'cli-progress'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

'use strict';
// npm runs this in a package's folder before packing it: every tarball carries the project's LICENSE.
const fs = require('node:fs');
const path = require('node:path');

fs.copyFileSync(path.join(__dirname, '..', 'LICENSE'), path.join(process.cwd(), 'LICENSE'));

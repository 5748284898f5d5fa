#!/usr/bin/env node
// Entry point installed as `kmatrix`; the CLI itself lives in dist/cli/main.js (built by `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

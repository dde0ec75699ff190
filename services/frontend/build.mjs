// Production build: minify the page's script and stylesheet into dist/ with
// esbuild (a build-stage devDependency only; the runtime image has no
// node_modules). In development the server serves src/ as it is.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const out = 'dist';
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: ['src/app.js', 'src/style.css'],
  outdir: out,
  bundle: true,
  minify: true,
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'info',
});
await copyFile('src/index.html', `${out}/index.html`);

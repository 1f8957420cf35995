/**
 * The web console's built files under `/console/` on the admin listener, so the console calls the
 * Cloud API on its own origin (no CORS). Unknown paths that do not look like a static file (no
 * extension of the table below; a route may end in `.com`) get index.html, so the console's
 * client-side routes survive a reload.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file a console path names inside `root`, or undefined for paths that climb out of it. */
export function consoleFile(root: string, path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = resolve(root, `.${sep}${decoded}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Registers `GET /console/*`; without a directory (or before the console is built) it answers 404 saying so. */
export function registerConsole(app: FastifyInstance, dir: string | undefined): void {
  const root = dir === undefined ? undefined : resolve(dir);
  app.get('/console', (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    const notBuilt = {
      code: 'CONSOLE_NOT_BUILT',
      message: 'the web console is not built (console/dist); the Cloud API works without it',
    };
    if (root === undefined || !(await isFile(join(root, 'index.html')))) return reply.code(404).send(notBuilt);
    const path = req.params['*'] || 'index.html';
    let file = consoleFile(root, path);
    if (file === undefined) return reply.code(404).send({ code: 'NOT_FOUND', message: 'no such console file' });
    if (!(await isFile(file))) {
      if (contentTypes[extname(file)] !== undefined)
        return reply.code(404).send({ code: 'NOT_FOUND', message: `no console file ${path}` });
      file = join(root, 'index.html');
    }
    reply.header('content-type', contentTypes[extname(file)] ?? 'application/octet-stream');
    reply.header('cache-control', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return reply.send(await readFile(file));
  });
}

/**
 * The web console's built files under `/console/` on the admin listener, so the console calls the
 * Cloud API on its own origin (no CORS). `@fastify/static` sends the files (types, ETag, Last-Modified,
 * ranges); this route picks which one. Unknown paths that do not look like a static file (no extension
 * of the list below; a route may end in `.com`) get index.html, so the console's client-side routes
 * survive a reload.
 */
import { stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../../errors.ts';

/** Extensions of the files a console build has: a missing one is a 404, not the SPA's index.html. */
const staticExtensions: ReadonlySet<string> = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.png',
  '.ico',
  '.woff2',
  '.txt',
]);

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

/** `{code, message}` of a console 404. */
function notFound(code: ErrorCode, message: string): { code: ErrorCode; message: string } {
  return { code, message };
}

/** Registers `GET /console/*`; without a directory (or before the console is built) it answers 404 saying so. */
export function registerConsole(app: FastifyInstance, dir: string | undefined): void {
  const root = dir === undefined ? undefined : resolve(dir);
  if (root !== undefined) {
    // Only reply.sendFile: the route below decides what to send. The console may be built after the
    // server started, hence no warning for a missing folder. A plugin that fails to load fails
    // app.ready()/listen(), where the caller handles it, so the thenable is not awaited here.
    void app.register(fastifyStatic, {
      root,
      serve: false,
      suppressWarning: true,
      // Every file is revalidated (ETag): a new build shows at the next reload, not after a max-age.
      cacheControl: false,
      setHeaders: (reply, file) => {
        reply.header('cache-control', 'no-cache');
        reply.header('x-content-type-options', 'nosniff');
        // RFC 9239 names text/javascript; the mime table of @fastify/send still says application/javascript.
        if (file.endsWith('.js') || file.endsWith('.mjs'))
          reply.header('content-type', 'text/javascript; charset=utf-8');
      },
    });
  }
  app.get('/console', (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    if (root === undefined || !(await isFile(join(root, 'index.html'))))
      return reply
        .code(404)
        .send(
          notFound('CONSOLE_NOT_BUILT', 'the web console is not built (console/dist); the Cloud API works without it'),
        );
    const path = req.params['*'] || 'index.html';
    let file = consoleFile(root, path);
    if (file === undefined) return reply.code(404).send(notFound('NOT_FOUND', 'no such console file'));
    if (!(await isFile(file))) {
      if (staticExtensions.has(extname(file)))
        return reply.code(404).send(notFound('NOT_FOUND', `no console file ${path}`));
      file = join(root, 'index.html');
    }
    // sendFile takes a URL path (it decodes it again): the checked file, re-encoded segment by segment.
    return reply.sendFile(relative(root, file).split(sep).map(encodeURIComponent).join('/'));
  });
}

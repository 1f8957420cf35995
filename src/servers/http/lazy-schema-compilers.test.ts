import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { lazySchemaCompilers } from './lazy-schema-compilers.ts';

const loaded = (pkg: string): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes(`/node_modules/${pkg}/`));

test('an app without schemas never loads ajv; a route with one validates and serialises as fastify does', async () => {
  const plain = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
  plain.get('/', async () => ({ ok: true }));
  await plain.ready();
  assert.equal((await plain.inject('/')).json<{ ok: boolean }>().ok, true);
  assert.equal(loaded('@fastify/ajv-compiler'), false);
  assert.equal(loaded('@fastify/fast-json-stringify-compiler'), false);
  await plain.close();

  const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
  app.post(
    '/n',
    {
      schema: {
        body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        response: { 200: { type: 'object', properties: { doubled: { type: 'integer' } } } },
      },
    },
    async (req) => ({ doubled: (req.body as { n: number }).n * 2, dropped: 'not in the response schema' }),
  );
  const bad = await app.inject({ method: 'POST', url: '/n', payload: { n: 'two' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<{ code: string }>().code, 'FST_ERR_VALIDATION');
  const good = await app.inject({ method: 'POST', url: '/n', payload: { n: 21 } });
  assert.deepEqual(good.json(), { doubled: 42 });
  assert.equal(loaded('@fastify/ajv-compiler'), true);
  await app.close();
});

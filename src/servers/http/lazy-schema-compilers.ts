/**
 * fastify's JSON-schema compilers (ajv for validation, fast-json-stringify for serialisation), loaded when a
 * route with a schema is first built instead of with every fastify instance (issue 17: idle memory; together
 * about 2 MB). openlive's routes declare no schemas, so a server never loads them; a route that adds one
 * gets fastify's default compilers unchanged, only later. Passing factories marks them "custom" in fastify,
 * which changes nothing for schema-less routes.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
/** What both packages export: a selector that returns fastify's `(externalSchemas, options) => compiler` factory. */
type Factory = (externalSchemas: unknown, options: unknown) => unknown;

/** Requires a package the way fastify itself does (they are fastify's dependencies, not openlive's). */
function requireFromFastify(id: string): () => Factory {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('fastify'))(id) as () => Factory;
}

let validatorFactory: Factory | undefined;
let serializerFactory: Factory | undefined;

/** The `schemaController.compilersFactory` option for every openlive fastify instance. */
export const lazySchemaCompilers = {
  buildValidator: (externalSchemas: unknown, options: unknown) =>
    (validatorFactory ??= requireFromFastify('@fastify/ajv-compiler')())(externalSchemas, options),
  buildSerializer: (externalSchemas: unknown, options: unknown) =>
    (serializerFactory ??= requireFromFastify('@fastify/fast-json-stringify-compiler')())(externalSchemas, options),
} as CompilersFactory;

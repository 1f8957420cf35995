/**
 * The directory openlive is installed in (the one holding package.json, console/, node_modules/). This file
 * sits one level below it, as the bundled build/main.js and its chunks do (scripts/build.ts), so `..`
 * from here is the package root both from the sources and from the build.
 */
import { fileURLToPath } from 'node:url';

/** The package root, with a trailing slash. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

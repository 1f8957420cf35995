/**
 * The console's build: one page served by openlive under /console/ on the admin listener, with no
 * files from any other origin (no fonts, no CDN), so it works on a machine without internet access.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One chunk for the app and one for the player library, loaded only on the Live Streams page.
    chunkSizeWarningLimit: 400,
  },
});

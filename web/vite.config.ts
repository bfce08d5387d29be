/**
 * The web UI's build: `npm run build:web` (also run by `npm start` when web/dist is missing or older
 * than web/src, and by the browser tests). Output in web/dist, which the service serves at `/`.
 * `npm run dev:web` serves it with hot reload and proxies the API to a running service (port 3001).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.UI_API_URL ?? 'http://127.0.0.1:3001';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The charts (recharts) are only needed by the analytics page, which is loaded lazily; the main
    // chunk (React, Mantine, TanStack Query, router) is ~650 kB, ~195 kB gzipped.
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/oauth', '/openapi.json', '/docs'].map((path) => [path, { target: api, changeOrigin: false }])),
  },
});

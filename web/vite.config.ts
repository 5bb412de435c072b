/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The build goes into the Python package, where `sentinel serve` serves it at `/`.
const outDir = fileURLToPath(new URL("../src/sentinel/web/static", import.meta.url));
// `npm run dev`: the Vite dev server on :5173 proxies API calls to a running Sentinel.
const sentinel = process.env.SENTINEL_URL ?? "http://127.0.0.1:8310";
const proxied = ["/api", "/v1", "/health", "/docs", "/openapi.json", "/metrics", "/suite-info"];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    rollupOptions: {
      // Libraries in a chunk of their own: it stays cached across Sentinel's UI changes.
      output: { manualChunks: (id) => (id.includes("node_modules") ? "vendor" : undefined) },
    },
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: sentinel, changeOrigin: false }])),
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    unstubGlobals: true,
    // Page tests load their area's module lazily; on two busy cores the first transform
    // can take seconds. A generous ceiling keeps CI from failing on load, not behaviour.
    testTimeout: 30_000,
  },
});

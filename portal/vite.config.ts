// Vite builds the portal into dist/ (or the directory given with --outDir): index.html and
// hashed assets under assets/, which the C++ build embeds into berth.
import { defineConfig } from "vitest/config";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2020",
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});

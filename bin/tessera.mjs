#!/usr/bin/env node
// Entry point of the `tessera` command. The CLI is TypeScript compiled to dist/ by `npm run build` (also run by
// `prepare` on install). From a checkout without a build: `npx tsx src/cli/main.ts ...`.
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));

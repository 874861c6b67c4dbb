#!/usr/bin/env node
// The package's `bin`: starts the TypeScript CLI through tsx, the same way cdk.json starts the app,
// so a clone runs it after `npm ci` with no build step. Kept in git (see .gitignore).
require('tsx/cjs');
require('./mcp-rollout.ts');

#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { createRolloutApp } from '../lib/app';
import { DEFAULT_CONFIG } from '../lib/config/environments';
import { ConfigError, parseConfig } from '../lib/config/schema';

try {
  createRolloutApp(new App(), parseConfig(DEFAULT_CONFIG));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A config mistake is the operator's to fix: show the list, not a stack trace.
  console.error(error.message);
  process.exit(1);
}

// Debian's Chromium driven by playwright-core (the browser half of code-server's VS Code).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../setup/paths.mjs';

// Headless, and no traffic to Google services that CI cannot reach (each would stall or log).
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`npm test\` as root or \`apt-get install chromium\`.`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

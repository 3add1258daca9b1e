// Renders the extension's marketplace icon (media/icon.png, 256×256) from the activity-bar
// glyph media/endless.svg: the same infinity stroke, white on a rounded square. The PNG is
// committed; run this again after changing the SVG:  node scripts/media/renderIcon.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths.mjs';
import { launchBrowser } from '../vscode/browser.mjs';

const SIZE = 256;
const glyph = readFileSync(path.join(ROOT, 'media', 'endless.svg'), 'utf8')
  .replace('width="24" height="24"', `width="${SIZE * 0.78}" height="${SIZE * 0.78}"`)
  .replace('stroke="currentColor"', 'stroke="#ffffff"');

const html = `<!doctype html><html><body style="margin:0;background:transparent">
<div style="width:${SIZE}px;height:${SIZE}px;border-radius:${SIZE * 0.2}px;display:flex;align-items:center;justify-content:center;
background:linear-gradient(135deg,#2b5fd9 0%,#6a3fd0 100%)">${glyph}</div></body></html>`;

const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE } });
  await page.setContent(html);
  const out = path.join(ROOT, 'media', 'icon.png');
  await page.screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${path.relative(ROOT, out)}`);
} finally {
  await browser.close();
}

// The chat panel's page (src/webview/main.ts, bundled as for the browser) opened in jsdom, with
// the VS Code webview API replaced by a recorder of what the page posts.
import { build } from 'esbuild';
import { JSDOM } from 'jsdom';
import type { WebviewToHost } from '../../../src/webview/protocol';

const bundle = build({ entryPoints: ['src/webview/main.ts'], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022' })
  .then((result) => result.outputFiles[0].text);

export interface Panel {
  window: JSDOM['window'];
  sent: WebviewToHost[];
  receive(message: unknown): Promise<void>;
  input: HTMLTextAreaElement;
  button(name: string): HTMLButtonElement;
}

export async function openPanel(): Promise<Panel> {
  const dom = new JSDOM('<!DOCTYPE html><body><div id="app"></div></body>', { runScripts: 'outside-only', pretendToBeVisual: true });
  const sent: WebviewToHost[] = [];
  // Copied out of the page's realm, as postMessage's structured clone does.
  Object.assign(dom.window, { acquireVsCodeApi: () => ({ postMessage: (message: WebviewToHost) => sent.push(JSON.parse(JSON.stringify(message))) }) });
  dom.window.eval(await bundle);
  const document = dom.window.document;
  return {
    window: dom.window,
    sent,
    async receive(message) {
      dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data: message }));
      await new Promise((resolve) => dom.window.requestAnimationFrame(() => resolve(undefined)));
    },
    input: document.querySelector('textarea[aria-label="Message"]')!,
    button: (name) => [...document.querySelectorAll('button')].find((b) => b.textContent === name)!,
  };
}

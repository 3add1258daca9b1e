// The chat panel's page: transcript, composer (input, attachments, Send / Stop / New session)
// and the live cache view. Every message from the extension is validated before use.
import DOMPurify from 'dompurify';
import { CacheView } from './cacheView';
import { h } from './dom';
import { createMarkdownRenderer } from './markdown';
import { MessageList } from './messageList';
import { type AttachmentChip, type EngineView, type HostToWebview, parseHostToWebview, type WebviewToHost } from './protocol';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: WebviewToHost) => vscode.postMessage(message);

let streaming = false;
let sending = false;

const messages = new MessageList(createMarkdownRenderer(DOMPurify), {
  codeAction: (action, code, language) => post({ type: 'codeAction', action, code, language }),
  loadOlder: (before) => post({ type: 'loadOlder', before }),
  loadLatest: () => post({ type: 'loadLatest' }),
});
const cache = new CacheView();

const status = h('div', { className: 'engine-status', role: 'status' }, 'Loading model…');
const newSession = h('button', { type: 'button', className: 'secondary', title: 'Start a fresh chat stream' }, 'New session');
const input = h('textarea', {
  'aria-label': 'Message',
  rows: 3,
  placeholder: 'Ask about your code — Enter to send, Shift+Enter for a new line, Escape to stop',
});
const send = h('button', { type: 'button', className: 'primary', title: 'Send (Enter)' }, 'Send');
const stop = h('button', { type: 'button', className: 'secondary', title: 'Stop the reply', disabled: true }, 'Stop');
const attachSelection = h('button', { type: 'button', className: 'secondary', title: 'Attach the editor selection' }, '+ Selection');
const attachFile = h('button', { type: 'button', className: 'secondary', title: 'Attach the current file' }, '+ File');
const chips = h('div', { className: 'chips', 'aria-label': 'Attached context' });
const notice = h('div', { className: 'notice', role: 'alert' });

document.getElementById('app')!.replaceWith(
  h(
    'main',
    { className: 'panel' },
    h('header', { className: 'panel-head' }, status, newSession),
    cache.element,
    messages.element,
    h(
      'form',
      { className: 'composer' },
      chips,
      notice,
      input,
      h('div', { className: 'composer-actions' }, attachSelection, attachFile, h('span', { className: 'spacer' }), stop, send),
    ),
  ),
);

function submit(): void {
  if (streaming || sending) return;
  const text = input.value;
  if (text.trim().length === 0 && chips.childElementCount === 0) return;
  sending = true;
  showNotice('');
  updateButtons();
  post({ type: 'send', text });
}

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  } else if (event.key === 'Escape' && streaming) {
    // Escape in the input stops a reply, so the keyboard never has to leave the input.
    event.preventDefault();
    stopReply();
  }
});

/** Stops the reply where the user sees it now; the host drops whatever is still in transit. */
function stopReply(): void {
  const shownChars = messages.freeze();
  post(shownChars === undefined ? { type: 'stop' } : { type: 'stop', shownChars });
}
send.addEventListener('click', submit);
stop.addEventListener('click', stopReply);
newSession.addEventListener('click', () => post({ type: 'newSession' }));
attachSelection.addEventListener('click', () => post({ type: 'attach', what: 'selection' }));
attachFile.addEventListener('click', () => post({ type: 'attach', what: 'file' }));
document.querySelector('form')!.addEventListener('submit', (event) => event.preventDefault());

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseHostToWebview(event.data);
  if (!parsed.ok) {
    console.warn(`Endless panel ignored a message: ${parsed.error}`);
    return;
  }
  receive(parsed.message);
});

function receive(message: HostToWebview): void {
  switch (message.type) {
    case 'transcript':
      streaming = message.streaming;
      messages.replace(message.messages, message.hasOlder, message.streaming);
      updateButtons();
      return;
    case 'append':
      streaming = message.streaming;
      messages.append(message.messages, message.streaming);
      updateButtons();
      return;
    case 'older':
      messages.prependOlder(message.before, message.messages, message.hasOlder);
      return;
    case 'token':
      messages.appendToken(message.id, message.text);
      return;
    case 'notice':
      showNotice(message.text, 'info');
      return;
    case 'sendAccepted':
      sending = false;
      input.value = '';
      updateButtons();
      return;
    case 'sendFailed':
      sending = false;
      // The text stays (or comes back) so nothing typed is lost.
      if (input.value.trim().length === 0) input.value = message.text;
      showNotice(message.error);
      updateButtons();
      input.focus();
      return;
    case 'attachments':
      renderChips(message.chips);
      return;
    case 'engine':
      renderEngine(message.engine);
      return;
    case 'stats':
      cache.update(message.stats);
      return;
    case 'focusInput':
      input.focus();
      return;
  }
}

function renderChips(list: AttachmentChip[]): void {
  chips.replaceChildren();
  for (const chip of list) {
    const remove = h('button', { type: 'button', className: 'chip-remove', 'aria-label': `Remove ${chip.label}`, title: 'Remove' }, '×');
    remove.addEventListener('click', () => post({ type: 'removeAttachment', id: chip.id }));
    chips.append(
      h('span', { className: chip.clippedNotice ? 'chip clipped' : 'chip', title: chip.clippedNotice ?? `${chip.chars} characters` }, chip.label, remove),
    );
  }
  const clipped = list.filter((chip) => chip.clippedNotice).map((chip) => `${chip.label}: ${chip.clippedNotice}`);
  showNotice(clipped.join(' '), 'info');
}

function renderEngine(engine: EngineView): void {
  cache.setEngine(engine);
  status.classList.toggle('error', engine.phase === 'failed');
  switch (engine.phase) {
    case 'ready':
      status.textContent = engine.model ? `${engine.model.name} ready` : 'Ready';
      return;
    case 'idle':
      status.textContent = 'The model loads when you first use it.';
      return;
    case 'starting':
      status.textContent = 'Loading model…';
      return;
    case 'restarting':
      status.textContent = `Restarting the engine… (${engine.message ?? 'it stopped'})`;
      return;
    case 'failed':
      status.textContent = `The model could not be loaded: ${engine.message ?? 'unknown error'}`;
      return;
    case 'stopped':
      status.textContent = 'The engine is stopped.';
      return;
  }
}

function showNotice(text: string, kind: 'error' | 'info' = 'error'): void {
  notice.textContent = text;
  notice.className = `notice ${kind}`;
  notice.hidden = text.length === 0;
}

function updateButtons(): void {
  send.disabled = streaming || sending;
  stop.disabled = !streaming;
}

showNotice('');
updateButtons();
post({ type: 'ready' });

// Composition root: reads the settings, starts the engine worker and wires the features to it.
// Every feature lives in its own folder; nothing here does more than connect them.
import * as vscode from 'vscode';
import type { EndlessApi } from './api';
import { ChatSession } from './chat/chatSession';
import { CHAT_VIEW_ID, ChatView } from './chat/chatView';
import { sessionPages } from './chat/sessionPages';
import { TranscriptStore } from './chat/transcriptStore';
import { contextLimits } from './completion/contextBuilder';
import { CODE_DOCUMENTS, EditorFeed } from './completion/editorFeed';
import { InlineProvider } from './completion/inlineProvider';
import { engineConfig, readSettings, sameEngineConfig } from './config/readSettings';
import { chatOptions, type Settings } from './config/settings';
import { EngineClient } from './host/engineClient';
import { fullReport } from './status/format';
import { StatusItem } from './status/statusItem';

export function activate(context: vscode.ExtensionContext): EndlessApi {
  const output = vscode.window.createOutputChannel('Endless');
  const log = (line: string) => output.appendLine(`[${new Date().toISOString()}] ${line}`);
  let settings = loadSettings(log);

  const engine = new EngineClient(
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    engineConfig(settings, context.extensionPath),
    { log },
  );
  engine.start();

  const session = new ChatSession(engine, new TranscriptStore(context.workspaceState), () => chatOptions(settings));
  const chatView = new ChatView(context.extensionUri, session, sessionPages(session), engine, () => settings, log);
  const feed = new EditorFeed(engine, () => contextLimits(settings.windowTokens), () => settings.completionEnabled);
  const completions = new InlineProvider(engine, feed, () => settings);

  context.subscriptions.push(
    output,
    { dispose: () => void engine.dispose() },
    // A model that cannot load leaves chat and completions silent: say why, and where to fix it.
    engine.onState.on((state) => {
      if (state.kind !== 'failed') return;
      log(`engine: ${state.message}`);
      offerSettings(vscode.window.showErrorMessage, `Endless could not load its model: ${state.message}`);
    }),
    chatView,
    feed,
    new StatusItem(engine, 'endless.openChat'),
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.languages.registerInlineCompletionItemProvider(CODE_DOCUMENTS, completions),
    vscode.commands.registerCommand('endless.openChat', () => chatView.show()),
    vscode.commands.registerCommand('endless.newSession', () => session.newSession()),
    vscode.commands.registerCommand('endless.stop', () => session.stop()),
    vscode.commands.registerCommand('endless.showCacheStatus', () => {
      const stats = engine.stats;
      output.appendLine('');
      output.appendLine(stats ? fullReport(stats) : `No cache statistics yet (engine: ${engine.state.kind}).`);
      output.show(true);
    }),
    vscode.commands.registerCommand('endless.toggleInlineCompletions', async () => {
      const enabled = !settings.completionEnabled;
      await vscode.workspace.getConfiguration('endless').update('completion.enabled', enabled, vscode.ConfigurationTarget.Global);
      void vscode.window.setStatusBarMessage(`Endless: inline completions ${enabled ? 'on' : 'off'}`, 3000);
    }),
    vscode.commands.registerCommand('endless.resetCaches', async () => {
      completions.completer.clear();
      feed.clear();
      await engine.reset();
      void vscode.window.setStatusBarMessage('Endless: caches reset', 3000);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('endless')) return;
      settings = loadSettings(log);
      completions.completer.clear();
      const config = engineConfig(settings, context.extensionPath);
      if (!sameEngineConfig(config, engine.engineConfig)) void engine.reconfigure(config);
    }),
  );

  return {
    whenReady: () => engine.whenReady(),
    chat: (text, onToken) => {
      const result = session.send(text, [], onToken);
      return result.accepted ? result.reply : Promise.reject(new Error(result.error));
    },
    provideCompletion: async (document, position, token, trigger = vscode.InlineCompletionTriggerKind.Automatic) => {
      const context = { triggerKind: trigger, selectedCompletionInfo: undefined };
      const items = await completions.provideInlineCompletionItems(document, position, context, token ?? new vscode.CancellationTokenSource().token);
      const text = items?.[0]?.insertText;
      return typeof text === 'string' ? text : undefined;
    },
    stats: () => engine.stats,
    transcript: () => session.transcript(),
    chatView: () => session.view(),
    restartCount: () => engine.restartCount,
    crashWorkerForTesting: () => engine.crashForTesting(),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function loadSettings(log: (line: string) => void): Settings {
  const { settings, problems } = readSettings();
  for (const problem of problems) log(`settings: ${problem}`);
  if (problems.length > 0) offerSettings(vscode.window.showWarningMessage, `Endless: ${problems.join(' ')}`);
  return settings;
}

/** Shows `text` with a button that opens the Endless settings. */
function offerSettings(show: (text: string, ...items: string[]) => Thenable<string | undefined>, text: string): void {
  void show(text, 'Open Settings').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'endless');
  });
}

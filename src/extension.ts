// Composition root: reads the settings, creates the engine client and wires the features to it.
// The worker starts on first use (a chat, a completion, the panel opened), not at activation:
// most windows never need the model. Every feature lives in its own folder; nothing here does
// more than connect them.
import * as vscode from 'vscode';
import type { EndlessApi } from './api';
import { ChatSession } from './chat/chatSession';
import { CHAT_VIEW_ID, ChatView } from './chat/chatView';
import { migrateLegacyTranscript } from './chat/legacyTranscript';
import { sessionPages } from './chat/sessionPages';
import { StreamingKey } from './chat/streamingKey';
import { TranscriptLog } from './chat/transcriptLog';
import { contextLimits } from './completion/contextBuilder';
import { CODE_DOCUMENTS, EditorFeed } from './completion/editorFeed';
import { InlineProvider } from './completion/inlineProvider';
import { engineConfig } from './config/engineConfig';
import { readSettings } from './config/readSettings';
import { chatOptions, plannedWindow, type Settings } from './config/settings';
import { SettingsChanges } from './config/settingsChanges';
import { EngineClient } from './host/engineClient';
import { logEngine } from './host/engineLog';
import { HubToken } from './models/hubToken';
import { ModelPicker } from './models/modelPicker';
import { ModelStore } from './models/modelStore';
import { fullReport } from './status/format';
import { LoadProgress } from './status/loadProgress';
import { StatusItem } from './status/statusItem';

const WALKTHROUGH_ID = 'endless.welcome';
const BUNDLED_MODEL_NAME = 'Endless default model (32M, int4)';

export function activate(context: vscode.ExtensionContext): EndlessApi {
  const output = vscode.window.createOutputChannel('Endless', { log: true });
  const log = (line: string) => output.info(line);
  let settings = loadSettings((line) => output.warn(line));

  const workerPath = vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath;
  const engine = new EngineClient(workerPath, engineConfig(settings, context.extensionPath), { log });

  // The log lives in this workspace's storage folder; without a folder, in the global one.
  const storage = context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-folder');
  const transcript = new TranscriptLog({ dir: storage.fsPath, capBytes: settings.chatStorageCapMb * 2 ** 20, warn: log });
  const session = new ChatSession(engine, transcript, {
    generateOptions: () => chatOptions(settings),
    // Roughly the characters of a window of text (a token of prose or code is ~3-4 characters).
    restartChars: () => plannedWindow(settings) * 4,
  });
  void migrateLegacyTranscript(context.workspaceState, transcript).then((moved) => {
    if (moved > 0) session.reload();
  });
  const engineChanges = new SettingsChanges({
    current: () => engine.engineConfig,
    reload: (config) => void engine.reconfigure(config),
    repin: (prompt) => {
      const reload = () => void engine.reconfigure({ ...engine.engineConfig, pinnedSystemPrompt: prompt });
      // A model that is not loaded (e.g. the old prompt did not fit) loads again with the new one;
      // a prompt the running engine cannot pin is reported the way a failed load is.
      if (engine.state.kind !== 'ready') return reload();
      session.repin(prompt).catch((error: Error) => {
        log(`pinning the new system prompt failed: ${error.message}`);
        reload();
      });
    },
  });
  const shownNotices = new Set<string>();
  const chatView = new ChatView(context.extensionUri, session, sessionPages(session), engine, () => settings, log);
  const feed = new EditorFeed(engine, () => contextLimits(plannedWindow(settings)), () => settings.completionEnabled);
  const completions = new InlineProvider(engine, feed, () => settings);
  const streaming = new StreamingKey(session);
  const hubToken = new HubToken(context.secrets);
  // Choosing a model saves endless.modelDirectory; the configuration listener below restarts
  // the engine with it. Downloads go to this extension's global storage.
  const models = new ModelPicker({
    store: new ModelStore(vscode.Uri.joinPath(context.globalStorageUri, 'models').fsPath),
    token: hubToken,
    state: context.globalState,
    workerPath,
    bundledName: BUNDLED_MODEL_NAME,
    engineConfig: () => engine.engineConfig,
    modelDirectory: () => settings.modelDirectory,
    hubEndpoint: () => settings.hubEndpoint,
    log,
  });

  context.subscriptions.push(
    output,
    { dispose: () => void engine.dispose() },
    logEngine(engine, output),
    // A model that cannot load leaves chat and completions silent: say why, and where to fix it.
    engine.onState.on((state) => {
      if (state.kind === 'ready') {
        // Said once per session, not on every restart.
        for (const notice of state.model.notices.filter((n) => !shownNotices.has(n))) {
          shownNotices.add(notice);
          log(`engine: ${notice}`);
          offerSettings(vscode.window.showWarningMessage, `Endless: ${notice}`);
        }
      }
      if (state.kind !== 'failed') return;
      offerSettings(vscode.window.showErrorMessage, `Endless could not load its model: ${state.message}`);
    }),
    chatView,
    feed,
    streaming,
    new StatusItem(engine, 'endless.openChat'),
    new LoadProgress(engine, CHAT_VIEW_ID),
    vscode.window.registerWebviewViewProvider(
      CHAT_VIEW_ID,
      {
        // Opening the panel is using Endless: the model starts loading while the page renders.
        resolveWebviewView: (view) => {
          engine.ensureStarted();
          chatView.resolveWebviewView(view);
        },
      },
      { webviewOptions: { retainContextWhenHidden: true } },
    ),
    vscode.languages.registerInlineCompletionItemProvider(CODE_DOCUMENTS, completions),
    vscode.commands.registerCommand('endless.openChat', () => chatView.show()),
    vscode.commands.registerCommand('endless.newSession', () => session.newSession()),
    vscode.commands.registerCommand('endless.openChatArchive', async () => {
      await transcript.flush();
      const uri = vscode.Uri.file(transcript.archivePath);
      const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
      if (!exists) {
        void vscode.window.showInformationMessage('Endless: no chat messages have been archived yet.');
        return;
      }
      await vscode.window.showTextDocument(uri, { preview: true });
    }),
    engineChanges,
    vscode.commands.registerCommand('endless.stop', () => session.stop()),
    vscode.commands.registerCommand('endless.showCacheStatus', () => {
      const stats = engine.stats;
      output.info(stats ? `cache status\n${fullReport(stats)}` : `no cache statistics yet (engine: ${engine.state.kind})`);
      output.show(true);
    }),
    vscode.commands.registerCommand('endless.showLog', () => output.show()),
    vscode.commands.registerCommand('endless.selectModel', () => models.show()),
    vscode.commands.registerCommand('endless.setHubToken', () => hubToken.ask()),
    vscode.commands.registerCommand('endless.clearHubToken', () => hubToken.clear()),
    vscode.commands.registerCommand('endless.openWalkthrough', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false),
    ),
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
      transcript.capBytes = settings.chatStorageCapMb * 2 ** 20;
      engineChanges.changed(engineConfig(settings, context.extensionPath));
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
    olderMessages: (beforeId, limit) => session.olderThan(beforeId, limit),
    storage: () => ({ storedBytes: transcript.storedBytes, capBytes: transcript.capBytes, logPath: transcript.logPath }),
    newSession: () => session.newSession(),
    lastChatUsage: () => session.lastUsage,
    chatView: () => session.view(),
    restartCount: () => engine.restartCount,
    engineState: () => engine.state.kind,
    streamingContext: () => streaming.value,
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

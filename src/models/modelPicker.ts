// "Endless: Select Model": a QuickPick of the bundled model, the catalogue and local folders.
// A choice is checked by the engine's own loader first; once it passes, the choice is saved in
// `endless.modelDirectory` (a user setting), and the settings listener restarts the engine with
// it the way any model change does. The chat transcript is not touched. Catalogue models are
// downloaded here, only when chosen, with a progress notification that can cancel.
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { EngineConfig } from '../engine/protocol';
import { CATALOGUE, type CatalogueEntry } from './catalogue';
import { downloadModel } from './download';
import { HubClient } from './hubClient';
import { HubError } from './hubErrors';
import type { HubToken } from './hubToken';
import { checkModelFolder } from './modelCheck';
import { ModelStore } from './modelStore';
import { type PickAction, pickerItems } from './pickerItems';
import { progressText } from './progressMeter';

type Item = vscode.QuickPickItem & { action?: PickAction; current: boolean };

const RECENT_KEY = 'endless.recentModelFolders';
const RECENT_MAX = 5;

export interface ModelPickerDeps {
  store: ModelStore;
  token: HubToken;
  state: vscode.Memento;
  workerPath: string;
  bundledName: string;
  /** The engine's configuration now (a checked model is loaded with the same cache settings). */
  engineConfig(): EngineConfig;
  modelDirectory(): string;
  hubEndpoint(): string;
  log(line: string): void;
}

export class ModelPicker {
  /** Downloads in progress, by catalogue id: choosing one again does not start a second. */
  private readonly downloads = new Map<string, Promise<void>>();

  constructor(private readonly deps: ModelPickerDeps) {}

  async show(): Promise<void> {
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = 'Endless: Select Model';
    quickPick.placeholder = 'The model Endless runs for chat and completions';
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.items = this.items();
    quickPick.activeItems = quickPick.items.filter((item) => item.current);
    const outcome = await new Promise<{ choose: PickAction } | { remove: CatalogueEntry } | undefined>((resolve) => {
      quickPick.onDidAccept(() => {
        const action = quickPick.selectedItems[0]?.action;
        resolve(action ? { choose: action } : undefined);
      });
      quickPick.onDidTriggerItemButton(({ item }) => {
        if (item.action?.kind === 'catalogue') resolve({ remove: item.action.entry });
      });
      quickPick.onDidHide(() => resolve(undefined));
      quickPick.show();
    });
    quickPick.dispose();
    if (outcome && 'choose' in outcome) await this.choose(outcome.choose);
    if (outcome && 'remove' in outcome && (await this.remove(outcome.remove))) await this.show();
  }

  private items(): Item[] {
    return pickerItems({
      current: this.deps.modelDirectory(),
      bundledName: this.deps.bundledName,
      recentFolders: this.recentFolders(),
      catalogue: CATALOGUE.map((entry) => ({ entry, state: this.deps.store.state(entry), dir: this.deps.store.folderOf(entry) })),
    }).flatMap((item) => {
      const onDisk = item.action.kind === 'catalogue' && item.action.state.kind !== 'absent';
      const pick: Item = {
        label: item.label,
        description: item.current ? `current · ${item.description ?? ''}` : item.description,
        detail: item.detail,
        current: item.current,
        action: item.action,
        buttons: onDisk ? [{ iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete the downloaded files' }] : [],
      };
      return item.separator ? [{ label: item.separator, kind: vscode.QuickPickItemKind.Separator, current: false }, pick] : [pick];
    });
  }

  /** Deletes a download (or what arrived of it) after asking; true when it was deleted. */
  private async remove(entry: CatalogueEntry): Promise<boolean> {
    if (this.deps.modelDirectory() === this.deps.store.folderOf(entry)) {
      void vscode.window.showWarningMessage(`Endless: ${entry.name} is the model in use; choose another one before deleting it.`);
      return false;
    }
    if (this.downloads.has(entry.id)) {
      void vscode.window.showWarningMessage(`Endless: ${entry.name} is downloading; cancel the download first.`);
      return false;
    }
    const answer = await vscode.window.showWarningMessage(
      `Delete the downloaded files of ${entry.name}?`,
      { modal: true, detail: `${this.deps.store.folderOf(entry)}\nChoosing it again downloads it again.` },
      'Delete',
    );
    if (answer !== 'Delete') return false;
    await this.deps.store.remove(entry);
    this.deps.log(`deleted the download of ${entry.repo}`);
    return true;
  }

  async choose(action: PickAction): Promise<void> {
    switch (action.kind) {
      case 'bundled':
        return this.use('', this.deps.bundledName);
      case 'folder':
        return this.useFolder(action.dir);
      case 'browse': {
        const picked = await vscode.window.showOpenDialog({
          title: 'Endless: choose a model folder',
          openLabel: 'Use This Model',
          canSelectFiles: false,
          canSelectFolders: true,
          canSelectMany: false,
        });
        if (picked?.[0]) return this.useFolder(picked[0].fsPath);
        return;
      }
      case 'catalogue':
        return this.useCatalogue(action.entry);
    }
  }

  private async useFolder(dir: string): Promise<void> {
    if (!existsSync(dir)) {
      void vscode.window.showErrorMessage(`Endless: the model folder ${dir} no longer exists.`);
      await this.forgetFolder(dir);
      return;
    }
    if (!(await this.check(dir, dir))) return;
    await this.rememberFolder(dir);
    await this.use(dir, dir);
  }

  private async useCatalogue(entry: CatalogueEntry): Promise<void> {
    if (this.deps.store.state(entry).kind !== 'installed') {
      const running = this.downloads.get(entry.id);
      if (running) {
        void vscode.window.showInformationMessage(`Endless: ${entry.name} is already downloading.`);
        return running;
      }
      const download = this.download(entry).finally(() => this.downloads.delete(entry.id));
      this.downloads.set(entry.id, download);
      await download;
      if (this.deps.store.state(entry).kind !== 'installed') return;
    }
    const dir = this.deps.store.folderOf(entry);
    if (await this.check(dir, entry.name)) await this.use(dir, entry.name);
  }

  /** Downloads `entry` with a cancellable progress notification; errors are shown, not thrown. */
  private async download(entry: CatalogueEntry): Promise<void> {
    const hub = new HubClient({ endpoint: this.deps.hubEndpoint(), token: await this.deps.token.get() });
    this.deps.log(`downloading ${entry.repo}@${entry.revision} (${entry.files.join(', ')}) from ${hub.endpoint}`);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Endless: downloading ${entry.name}`, cancellable: true },
        async (progress, cancel) => {
          const abort = new AbortController();
          cancel.onCancellationRequested(() => abort.abort());
          progress.report({ message: `asking ${hub.endpoint} for the file list…` });
          let shownPercent = 0;
          await downloadModel({
            hub,
            repo: entry.repo,
            revision: entry.revision,
            files: entry.files,
            targetDir: this.deps.store.folderOf(entry),
            stagingDir: this.deps.store.stagingOf(entry),
            signal: abort.signal,
            onProgress: (state) => {
              const percent = state.totalBytes > 0 ? (100 * state.receivedBytes) / state.totalBytes : 0;
              progress.report({ message: progressText(state), increment: Math.max(0, percent - shownPercent) });
              shownPercent = Math.max(shownPercent, percent);
            },
          });
        },
      );
      this.deps.log(`downloaded ${entry.repo} into ${this.deps.store.folderOf(entry)}`);
    } catch (error) {
      await this.reportDownloadError(entry, error);
    }
  }

  private async reportDownloadError(entry: CatalogueEntry, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log(`download of ${entry.repo} stopped: ${message}`);
    const kind = error instanceof HubError ? error.kind : 'http';
    if (kind === 'cancelled') {
      void vscode.window.showInformationMessage(`Endless: ${message} Choose ${entry.name} again to resume.`);
      return;
    }
    const actions: string[] = [];
    if (kind === 'auth') actions.push('Set Access Token');
    if (kind === 'offline') actions.push('Open Settings');
    if (kind !== 'disk') actions.push('Retry');
    const hint = kind === 'offline' ? ' Endless works offline with the models you have; a download needs the Hub or a mirror (endless.hub.endpoint).' : '';
    const choice = await vscode.window.showErrorMessage(`Endless could not download ${entry.name}: ${message}${hint}`, ...actions);
    if (choice === 'Set Access Token' && (await this.deps.token.ask())) return this.useCatalogue(entry);
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'endless.hub.endpoint');
    if (choice === 'Retry') return this.useCatalogue(entry);
  }

  /** Runs the engine's loader on `dir`; shows the reason and returns false when it refuses. */
  private async check(dir: string, name: string): Promise<boolean> {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Endless: checking ${name}…` },
      () => checkModelFolder(dir, this.deps.workerPath, this.deps.engineConfig()),
    );
    if (result.ok) return true;
    this.deps.log(`model folder ${dir} refused: ${result.reason}`);
    void vscode.window.showErrorMessage(`Endless cannot use ${name}: ${result.reason}`);
    return false;
  }

  /** Saves the choice; the settings listener restarts the engine with it. */
  private async use(dir: string, name: string): Promise<void> {
    if (dir === this.deps.modelDirectory()) {
      void vscode.window.setStatusBarMessage(`Endless: ${name} is already in use`, 4000);
      return;
    }
    await vscode.workspace.getConfiguration('endless').update('modelDirectory', dir, vscode.ConfigurationTarget.Global);
    this.deps.log(`model chosen: ${dir || 'the bundled model'}`);
    void vscode.window.setStatusBarMessage(`Endless: switching to ${name}`, 5000);
  }

  private recentFolders(): string[] {
    return this.deps.state.get<string[]>(RECENT_KEY, []).filter((dir) => existsSync(dir));
  }

  private rememberFolder(dir: string): Thenable<void> {
    return this.deps.state.update(RECENT_KEY, [dir, ...this.recentFolders().filter((d) => d !== dir)].slice(0, RECENT_MAX));
  }

  private forgetFolder(dir: string): Thenable<void> {
    return this.deps.state.update(RECENT_KEY, this.recentFolders().filter((d) => d !== dir));
  }
}

// What "Endless: Select Model" lists, as plain data: the bundled model, the catalogue (with
// what each needs and whether it is downloaded), local folders used before, and Browse….
// No `vscode` here, so the list is unit-tested; modelPicker.ts turns it into a QuickPick.
import type { CatalogueEntry } from './catalogue';
import type { EntryState } from './modelStore';
import { formatBytes } from './progressMeter';

export type PickAction =
  | { kind: 'bundled' }
  | { kind: 'catalogue'; entry: CatalogueEntry; state: EntryState }
  | { kind: 'folder'; dir: string }
  | { kind: 'browse' };

export interface PickItem {
  /** A separator line above this item's group, when it starts one. */
  separator?: string;
  label: string;
  description?: string;
  detail?: string;
  /** The model in use now. */
  current: boolean;
  action: PickAction;
}

export interface PickerState {
  /** The `endless.modelDirectory` setting: '' for the bundled model. */
  current: string;
  catalogue: readonly { entry: CatalogueEntry; state: EntryState; dir: string }[];
  /** Local folders chosen before, newest first. */
  recentFolders: readonly string[];
  bundledName: string;
}

const SPEED_WORDS = { fast: 'fast', medium: 'medium speed', slow: 'slow on most laptops' } as const;

export function pickerItems(state: PickerState): PickItem[] {
  const items: PickItem[] = [];
  items.push({
    separator: 'Bundled',
    label: `$(package) ${state.bundledName}`,
    description: 'bundled with Endless, works offline',
    current: state.current === '',
    action: { kind: 'bundled' },
  });
  state.catalogue.forEach(({ entry, state: entryState, dir }, index) => {
    const needs = `${entry.variant} · needs ~${entry.ramGB} GB RAM · ${SPEED_WORDS[entry.speed]}`;
    const where =
      entryState.kind === 'installed'
        ? `Downloaded (${formatBytes(entryState.bytes)})`
        : entryState.kind === 'partial'
          ? `Partly downloaded (${formatBytes(entryState.bytes)}): choose it to resume from ${entry.repo}`
          : `Downloads from ${entry.repo} when chosen`;
    items.push({
      separator: index === 0 ? 'Catalogue' : undefined,
      label: `${entryState.kind === 'installed' ? '$(check-all)' : '$(cloud-download)'} ${entry.name}`,
      description: needs,
      detail: `${where}. ${entry.summary}`,
      current: state.current === dir,
      action: { kind: 'catalogue', entry, state: entryState },
    });
  });
  const catalogueDirs = new Set(state.catalogue.map((c) => c.dir));
  const folders = [...new Set([...(state.current && !catalogueDirs.has(state.current) ? [state.current] : []), ...state.recentFolders])];
  folders.forEach((dir, index) => {
    items.push({
      separator: index === 0 ? 'Local folders' : undefined,
      label: `$(folder) ${baseName(dir)}`,
      description: dir,
      current: state.current === dir,
      action: { kind: 'folder', dir },
    });
  });
  items.push({
    separator: folders.length === 0 ? 'Local folders' : undefined,
    label: '$(folder-opened) Browse…',
    description: 'a model folder in the Hugging Face layout (config.json, tokenizer.json, onnx/*.onnx)',
    current: false,
    action: { kind: 'browse' },
  });
  return items;
}

function baseName(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? dir;
}

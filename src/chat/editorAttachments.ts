// Reads the selection or the current file from the editor as a chat attachment, clipped to
// what is left of the attachment budget.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { AttachKind } from '../webview/protocol';
import { type Attachment, clipAround, clippedNotice } from './attachments';

let counter = 0;

export type AttachResult = { ok: true; attachment: Attachment } | { ok: false; error: string };

export function attachmentFromEditor(
  editor: vscode.TextEditor | undefined,
  what: AttachKind,
  budgetChars: number,
): AttachResult {
  if (!editor) return { ok: false, error: 'Open a file in the editor to attach it.' };
  if (budgetChars <= 0) {
    return { ok: false, error: 'The attachments already fill the space set aside for context. Remove one first.' };
  }
  const document = editor.document;
  const name = basename(document.uri.path) || document.uri.toString();
  let text: string;
  let focus: number;
  let label: string;
  let lineOffset = 0;
  if (what === 'selection') {
    const selection = editor.selection;
    if (selection.isEmpty) return { ok: false, error: 'Select some code first, or attach the whole file.' };
    text = document.getText(selection);
    focus = document.offsetAt(selection.active) - document.offsetAt(selection.start);
    lineOffset = selection.start.line;
    label = `${name}:${selection.start.line + 1}-${selection.end.line + 1}`;
  } else {
    text = document.getText();
    focus = document.offsetAt(editor.selection.active);
    label = name;
  }
  if (text.trim().length === 0) return { ok: false, error: `${label} is empty.` };
  const clip = clipAround(text, focus, budgetChars);
  return {
    ok: true,
    attachment: {
      id: `attachment-${++counter}`,
      label: clip.clipped ? `${name}:${clip.firstLine + lineOffset}-${clip.lastLine + lineOffset}` : label,
      languageId: document.languageId,
      text: clip.text,
      clippedNotice: clip.clipped ? clippedNotice(clip, lineOffset) : undefined,
    },
  };
}

// The optional Hugging Face access token, kept in VS Code's secret storage (the OS keychain
// where there is one), never in settings: gated or private repositories need it.
import * as vscode from 'vscode';

const SECRET_KEY = 'endless.hub.token';

export class HubToken {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  /** Asks for the token and stores it; true when one was stored. */
  async ask(): Promise<boolean> {
    const token = await vscode.window.showInputBox({
      title: 'Endless: Hugging Face access token',
      prompt: 'A read token from huggingface.co/settings/tokens, for gated or private models. It is kept in VS Code\'s secret storage.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (/^\S+$/.test(value.trim()) ? undefined : 'Paste the token (one word, no spaces).'),
    });
    if (!token?.trim()) return false;
    await this.secrets.store(SECRET_KEY, token.trim());
    void vscode.window.showInformationMessage('Endless: the Hugging Face access token is stored.');
    return true;
  }

  async clear(): Promise<void> {
    const had = (await this.secrets.get(SECRET_KEY)) !== undefined;
    await this.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage(had ? 'Endless: the Hugging Face access token is removed.' : 'Endless: no Hugging Face access token was stored.');
  }
}

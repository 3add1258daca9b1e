// The chat panel's page. Everything it loads comes from the extension (dist/, media/) through
// asWebviewUri; the Content-Security-Policy allows nothing else, and scripts only with a nonce.
import { randomBytes } from 'node:crypto';

export interface PanelResources {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

export function panelHtml({ cspSource, scriptUri, styleUri }: PanelResources): string {
  const nonce = randomBytes(18).toString('base64');
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>Endless Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}

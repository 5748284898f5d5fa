// Helpers for `kmatrix run` slow tests: checking the HTML report in real headless chromium
// (the CLI itself is spawned with test/helpers/cli.ts).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export interface GridCell {
  id: string;
  status: string;
  classes: string;
  background: string;
  links: { text: string; href: string; exists: boolean }[];
}

interface RawCell {
  id: string;
  status: string;
  classes: string;
  background: string;
  links: { text: string; href: string }[];
}

/** Open index.html in headless chromium and read the grid as a user's browser renders it. */
export async function readHtmlGrid(
  indexHtml: string,
): Promise<{ title: string; cells: GridCell[] }> {
  const profile = await mkdtemp(join(tmpdir(), 'kmatrix-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await ctx.newPage();
    await page.goto(`file://${indexHtml}`);
    const title = await page.title();
    // Evaluated in the page (the project's tsconfig has no DOM types).
    const raw = await page.evaluate<
      RawCell[]
    >(`[...document.querySelectorAll('td.cell')].map((td) => ({
      id: td.getAttribute('data-cell-id') || '',
      status: td.getAttribute('data-status') || '',
      classes: td.className,
      background: getComputedStyle(td).backgroundColor,
      links: [...td.querySelectorAll('a')].map((a) => ({ text: a.textContent || '', href: a.href })),
    }))`);
    const cells: GridCell[] = [];
    for (const c of raw) {
      const links = [];
      for (const l of c.links) {
        const path = l.href.startsWith('file://') ? fileURLToPath(l.href) : '';
        const exists =
          path !== '' &&
          (await stat(path).then(
            (s) => s.isFile(),
            () => false,
          ));
        links.push({ ...l, exists });
      }
      cells.push({ ...c, links });
    }
    return { title, cells };
  } finally {
    await ctx.close();
    await rm(profile, { recursive: true, force: true });
  }
}

export function hexToRgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

export const here = dirname(fileURLToPath(import.meta.url));

/**
 * The module URL a worker thread can load. Node runs the compiled `dist/` JavaScript; when the
 * caller itself runs from TypeScript sources (vitest transforms `src/` in process, which a worker
 * thread does not), `…/src/x.ts` maps to the built `…/dist/x.js` (`npm test` builds first).
 */
export function runnableURL(url: string): string {
  if (!url.endsWith('.ts')) return url;
  const at = url.lastIndexOf('/src/');
  if (at < 0) return url;
  return `${url.slice(0, at)}/dist/${url.slice(at + '/src/'.length, -'.ts'.length)}.js`;
}

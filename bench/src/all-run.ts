export const ALL_USAGE = 'all: not yet';
export function parseAllArgs(_rest: readonly string[]): 'help' {
  return 'help';
}
export function runAll(_opts: never): Promise<number> {
  return Promise.resolve(2);
}

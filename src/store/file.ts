// The results store's file name inside a results dir (kept apart from store.ts, which loads
// better-sqlite3, so the CLI can name it in --help without loading the driver).
export const STORE_FILE = 'kmatrix.db';

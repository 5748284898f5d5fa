// Quoting for the one place kmatrix writes shell: reproducer scripts. Everything we run
// ourselves goes through argv arrays, never a shell.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for bash so it reaches the command unchanged. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Text for a `# ...` line: a newline in a value must not end the comment and start a command. */
export function shellComment(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

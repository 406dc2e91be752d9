/** Where commands print: stdout lines, stderr lines, and whether stderr is a terminal (for live progress). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Rewrite the current stderr line (TTY progress); a no-op when stderr is not a terminal. */
  status(line: string): void;
  errIsTTY: boolean;
}

export function processIo(): CliIo {
  const tty = Boolean(process.stderr.isTTY);
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) process.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  return {
    out(line) {
      clearStatus();
      process.stdout.write(line + '\n');
    },
    err(line) {
      clearStatus();
      process.stderr.write(line + '\n');
    },
    status(line) {
      if (!tty) return;
      process.stderr.write('\r\x1b[2K' + line);
      statusShown = true;
    },
    errIsTTY: tty,
  };
}

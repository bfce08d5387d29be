/** The streams and environment a CLI command may touch, passed in so commands are testable in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** A terminal to draw progress bars on (standard error when it is a TTY); absent: stay quiet. */
  progress?: NodeJS.WriteStream;
  /** Standard input, for commands that read a file named `-`. */
  stdin?: NodeJS.ReadableStream;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  // `npm run cli -- …` changes into the package root; INIT_CWD is where the user typed it, so file
  // arguments resolve as they expect. Only for that script: children of other scripts inherit INIT_CWD.
  cwd: (process.env.npm_lifecycle_event === 'cli' && process.env.INIT_CWD) || process.cwd(),
  ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
  stdin: process.stdin,
};

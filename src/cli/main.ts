/**
 * The `dynamic-head` command line: routes `dynamic-head <command> [args]` to a subcommand.
 * Add a command by adding an entry to COMMANDS.
 */
import { CONVERT_USAGE, runConvert } from './convert';
import { DETECT_USAGE, runDetect } from './detect';

export interface CliCommand {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

export const COMMANDS: Record<string, CliCommand> = {
  convert: {
    summary: 'convert a cvpods/Detectron2 checkpoint (.pth/.pkl) to a .dhw weights file',
    usage: CONVERT_USAGE,
    run: runConvert,
  },
  detect: {
    summary: 'detect objects in PNG/JPEG images with a .dhw weights file (WebGPU on Dawn)',
    usage: DETECT_USAGE,
    run: runDetect,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: dynamic-head <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'Run `dynamic-head <command> --help` for a command\'s options.';
}

export async function main(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(`${topic ? topic.usage : usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return command.run(rest);
}

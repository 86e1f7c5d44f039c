import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The options of one subcommand (node:util parseArgs), `help` / `-h` included by the caller. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

type Parsed<O extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>>;

/**
 * Parses a subcommand's arguments. Returns the parsed values, or the exit code when there is
 * nothing more to do: 0 after printing `usage` for --help, 2 after printing the parse error and
 * `usage` (unknown option, missing value).
 */
export function parseCommand<O extends CommandOptions>(
  args: readonly string[],
  options: O,
  usage: string,
  hooks: { readonly onHelp?: (positionals: readonly string[]) => string | undefined } = {},
): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(`${usage}\n`);
    const more = hooks.onHelp?.(parsed.positionals);
    if (more) process.stdout.write(`\n${more}\n`);
    return 0;
  }
  return parsed;
}

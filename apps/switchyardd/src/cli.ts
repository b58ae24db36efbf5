/**
 * `switchyard`: the daemon's command line. Every bad argument prints the usage and exits 2;
 * a refused configuration prints each offending field and exits 1.
 */
import { parseArgs } from 'node:util';
import { adminGet, formatStatus, type Status } from './admin.js';
import { ConfigError, configJsonSchema, loadConfig } from './config.js';

export const USAGE = `usage: switchyard <command> [options]

commands:
  run -c <file>         run a cluster node (root): SIGTERM hands over and drains, SIGHUP reloads
  lab demo              build a lab (client, bridge, three nodes with HTTP servers), show the
                        switch at work and a failover, tear it down (root; netsim without)
  config check <file>   validate a configuration file (YAML or JSON) and print what it resolves to
  config schema         print the configuration's JSON Schema
  status                show members, per-VIP roles, flows and counters of the running daemon
  help                  this text

options:
  -c, --config <file>   run: the configuration (YAML or JSON)
  -s, --socket <path>   the daemon's admin socket (default /run/switchyard/admin.sock)
  --json                status: print the raw JSON
  -h, --help            this text`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Runs one command line; returns the process exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`switchyard: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        socket: { type: 'string', short: 's', default: '/run/switchyard/admin.sock' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, sub, ...rest] = parsed.positionals;
  if (parsed.values['help'] === true || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command === undefined) throw new UsageError('a command is required');
  if (command === 'config' && sub === 'check') {
    if (rest.length !== 1) throw new UsageError('config check takes one file');
    const config = loadConfig(rest[0]!);
    io.out(
      `${rest[0]}: ok (node ${config.node.id}, cluster ${config.cluster.id}, ` +
        `${config.vips.length} VIP${config.vips.length === 1 ? '' : 's'}: ` +
        `${config.vips.map((v) => `${v.text} ${v.policy}`).join(', ')})`,
    );
    return 0;
  }
  if (command === 'status' && sub === undefined) {
    let body: string;
    try {
      body = await adminGet(String(parsed.values['socket']), '/status');
    } catch (error) {
      io.err(`switchyard: ${(error as Error).message}`);
      return 1;
    }
    io.out(parsed.values['json'] === true ? body.trimEnd() : formatStatus(JSON.parse(body) as Status));
    return 0;
  }
  if (command === 'run' && sub === undefined) {
    const file = parsed.values['config'];
    if (typeof file !== 'string') throw new UsageError('run needs --config <file>');
    return runCommand(file, io);
  }
  if (command === 'lab' && sub === 'demo' && rest.length === 0) {
    const { labDemo } = await import('./lab/demo.js');
    return labDemo(io);
  }
  if (command === 'config' && sub === 'schema' && rest.length === 0) {
    io.out(JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  }
  throw new UsageError(`unknown command: ${parsed.positionals.join(' ')}`);
}

/** `run`: starts the daemon and waits for it to stop; SIGTERM/SIGINT stop it, SIGHUP reloads. */
async function runCommand(file: string, io: Io): Promise<number> {
  const { runDaemon } = await import('./run.js');
  let daemon: Awaited<ReturnType<typeof runDaemon>>;
  try {
    daemon = await runDaemon(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    io.err(`switchyard: cannot start: ${(error as Error).message}`);
    return 1;
  }
  const stop = () => daemon.stop();
  const reload = () => daemon.reload();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', reload);
  try {
    return await daemon.done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', reload);
  }
}

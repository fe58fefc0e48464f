import { isDomainError } from '@invite/contracts';
import { deadLettersCommand, deadLettersUsage } from './dead-letters.command.ts';

/**
 * The notifier's operator commands (`npm run admin -- dead-letters …` reaches them):
 * one JSON object on stdout; errors on stderr with a non-zero exit.
 */
const [command, ...args] = process.argv.slice(2);
if (command !== 'dead-letters') {
  process.stderr.write(`${command ? `Unknown command "${command}".\n` : ''}Usage:\n${deadLettersUsage}\n`);
  process.exit(64);
}
try {
  process.stdout.write(`${JSON.stringify(await deadLettersCommand(args))}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`${isDomainError(error) ? error.detail : error instanceof Error ? error.message : String(error)}\nUsage:\n${deadLettersUsage}\n`);
  process.exit(isDomainError(error) && error.status < 500 ? 65 : 1);
}

/** What other packages may use: the admin CLI's dead-letter commands, and the app for end-to-end tests. */
export { deadLettersCommand, deadLettersUsage } from './dead-letters.command.ts';
export { replayDeadLetters, createDeadLetterStore, type DeadLetter, type ReplayReport } from './dead-letters.ts';
export { startNotifier, type NotifierApp } from './app.ts';
export { loadNotifierConfig, type NotifierConfig } from './config.ts';

// Prompts on a terminal, as Python's input() and getpass do: a prompt, then a line — echoed by the terminal, or with
// echo off (raw mode, so every key is seen here: Enter ends, Backspace deletes, Ctrl-C cancels). Input typed ahead
// is kept for the next prompt. Ctrl-C (SIGINT in cooked mode) and the end of input cancel with PromptCancelled.
import type { ReadStream } from 'node:tty';
import { PromptCancelled, type Prompter } from './createsuperuser.js';

export interface TtyPrompter extends Prompter {
  /** Gives the terminal back as it was (cooked mode, stdin paused). */
  close(): void;
}

interface Pending {
  readonly hidden: boolean;
  value: string;
  resolve(line: string): void;
  reject(error: Error): void;
}

export function ttyPrompter(input: ReadStream, output: NodeJS.WritableStream): TtyPrompter {
  let buffer = '';
  let ended = false;
  let pending: Pending | null = null;

  const settle = (outcome: { line: string } | { error: Error }) => {
    const p = pending;
    if (!p) return;
    pending = null;
    if (p.hidden) {
      input.setRawMode(false);
      output.write('\n'); // the Enter that was not echoed
    }
    if ('line' in outcome) p.resolve(outcome.line);
    else p.reject(outcome.error);
  };

  const pump = () => {
    const p = pending;
    if (!p) return;
    if (!p.hidden) {
      const nl = buffer.indexOf('\n');
      if (nl >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        return settle({ line });
      }
      if (ended) settle({ error: new PromptCancelled('end of input') });
      return;
    }
    while (buffer.length > 0) {
      const c = String.fromCodePoint(buffer.codePointAt(0)!);
      buffer = buffer.slice(c.length);
      if (c === '\r' || c === '\n') return settle({ line: p.value });
      if (c === '\x03') return settle({ error: new PromptCancelled('Ctrl-C') });
      if (c === '\x04' && p.value === '') return settle({ error: new PromptCancelled('end of input') });
      if (c === '\x7f' || c === '\b') p.value = [...p.value].slice(0, -1).join('');
      else if (c === '\x15')
        p.value = ''; // Ctrl-U
      else if (c >= ' ') p.value += c;
    }
    if (ended) settle({ error: new PromptCancelled('end of input') });
  };

  const onData = (chunk: Buffer | string) => {
    buffer += chunk.toString();
    pump();
  };
  const onEnd = () => {
    ended = true;
    pump();
  };
  const onSigint = () => settle({ error: new PromptCancelled('SIGINT') });
  input.on('data', onData);
  input.on('end', onEnd);
  process.on('SIGINT', onSigint);

  const read = (prompt: string, hidden: boolean) =>
    new Promise<string>((resolve, reject) => {
      // The mode is set before the prompt shows, so an answer typed after it is seen in that mode.
      input.setRawMode(hidden);
      output.write(prompt);
      pending = { hidden, value: '', resolve, reject };
      pump();
    });

  return {
    ask: (prompt) => read(prompt, false),
    askHidden: (prompt) => read(prompt, true),
    close() {
      input.off('data', onData);
      input.off('end', onEnd);
      process.off('SIGINT', onSigint);
      input.setRawMode(false);
      input.pause();
    },
  };
}

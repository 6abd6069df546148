// Finds the top-level objects of a dumpdata file, fed chunk by chunk, without parsing the whole file at once: a
// 100k-user dump is ~40 MB, and each object is JSON.parse'd on its own so a bad row costs one error, not the file.
// Two formats, told apart by the first character:
// - `[` a JSON array (`dumpdata --indent N`, or everything on one line without --indent). A byte scanner tracks
//   string and nesting state to find where each element ends; any text between elements other than `,` makes the
//   file unreadable past that point (a fatal error).
// - `{` JSON lines (`dumpdata --format jsonl`): one object per line, so a bad line is just one bad row.
// Structural bytes are all ASCII, and UTF-8 continuation bytes never are, so scanning bytes is safe for any text.

export interface ScanSink {
  /** One top-level element: its source text, the 1-based line it starts on and its 1-based position in the file. */
  object(text: string, line: number, index: number): void;
  /** A problem at a line; fatal ones end the scan (what follows cannot be located reliably). */
  error(line: number, reason: string, fatal: boolean, index?: number): void;
}

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const isSpace = (c: number) => c === 0x20 || c === LF || c === 0x0d || c === 0x09;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Rows of a user table are well under 1 KB; anything far bigger is not a dumpdata row and is not buffered. */
export const MAX_OBJECT_BYTES = 1 << 20;

type State =
  | 'start' // nothing but whitespace yet
  | 'first' // after `[`: an object or `]`
  | 'value' // after `,`: an object
  | 'comma' // after an object: `,` or `]`
  | 'end' // after the closing `]`: only whitespace
  | 'lines' // JSON lines
  | 'failed'; // after a fatal error: input is ignored

export class DumpScanner {
  format: 'json' | 'jsonl' | null = null;
  private state: State = 'start';
  private line = 1;
  private index = 0;
  private started = false; // the BOM check happens once
  // The object (or JSON line) being read: where it started, the pieces from earlier chunks, their size.
  private depth = 0;
  private inString = false;
  private escaped = false;
  private startLine = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly sink: ScanSink) {}

  push(chunk: Uint8Array | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (!this.started && buf.length > 0) {
      this.started = true;
      if (buf.subarray(0, 3).equals(BOM)) buf = buf.subarray(3);
    }
    if (this.state === 'lines') this.scanLines(buf, 0);
    else if (this.state !== 'failed') this.scanArray(buf);
  }

  end(): void {
    const { state } = this;
    if (state === 'start') this.fail(1, 'empty file: expected a JSON array or JSON lines');
    else if (state === 'lines') this.endLine(Buffer.alloc(0));
    else if (this.depth > 0) this.fail(this.startLine, 'the object starting here is never closed (truncated file?)');
    else if (state === 'first' || state === 'value' || state === 'comma')
      this.fail(this.line, "the top-level array is never closed with ']' (truncated file?)");
  }

  private scanArray(buf: Buffer): void {
    let i = 0;
    if (this.depth > 0) i = this.finishObject(buf, 0, 0) + 1; // an object continued from the previous chunk
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === LF) this.line++;
      if (isSpace(c)) continue;
      switch (this.state) {
        case 'start':
          if (c === OPEN_BRACKET) {
            this.format = 'json';
            this.state = 'first';
            continue;
          }
          if (c === OPEN_BRACE) {
            this.format = 'jsonl';
            this.state = 'lines';
            return this.scanLines(buf, i);
          }
          return this.fail(this.line, 'expected a JSON array (`[`) or JSON lines (`{`)');
        case 'first':
        case 'value':
          if (c === OPEN_BRACE) {
            this.depth = 1;
            this.startLine = this.line;
            i = this.finishObject(buf, i, i + 1);
          } else if (c === CLOSE_BRACKET && this.state === 'first') this.state = 'end';
          else {
            return this.fail(this.line, this.state === 'first' ? "expected an object or ']'" : "expected an object after ','");
          }
          continue;
        case 'comma':
          if (c === COMMA) this.state = 'value';
          else if (c === CLOSE_BRACKET) this.state = 'end';
          else return this.fail(this.line, "expected ',' or ']' after an object");
          continue;
        case 'end':
          return this.fail(this.line, "unexpected text after the closing ']'");
      }
    }
  }

  /** Reads an object's bytes from `from` (the object began at `start`) and emits it if it ends in this chunk, else
   * keeps its start for the next one. Returns the index of its last byte, or the chunk's length. The state lives in
   * locals while scanning: this loop sees every byte of the file. */
  private finishObject(buf: Buffer, start: number, from: number): number {
    let { depth, inString, escaped, line } = this;
    let i = from;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === LF) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) break;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    if (i === buf.length) {
      this.keep(buf.subarray(start));
      return i;
    }
    this.emit(buf.subarray(start, i + 1));
    this.state = 'comma';
    return i;
  }

  // JSON lines: every line is a row; blank lines are skipped.
  private scanLines(buf: Buffer, from: number): void {
    let start = from;
    for (let nl = buf.indexOf(LF, start); nl >= 0; nl = buf.indexOf(LF, start)) {
      this.endLine(buf.subarray(start, nl));
      this.line++;
      start = nl + 1;
    }
    if (start < buf.length) this.keep(buf.subarray(start));
  }

  private endLine(rest: Buffer): void {
    if (this.partBytes + rest.length === 0) return;
    this.startLine = this.line;
    this.emit(rest);
  }

  // Keeps the start of an object that continues in the next chunk, unless it is already too big to be a row.
  private keep(piece: Buffer): void {
    this.partBytes += piece.length;
    if (this.partBytes <= MAX_OBJECT_BYTES) this.parts.push(piece);
    else this.parts = [];
  }

  private emit(last: Buffer): void {
    const size = this.partBytes + last.length;
    const text = size > MAX_OBJECT_BYTES ? null : Buffer.concat([...this.parts, last]).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    if (text !== null && text.trim() === '') return; // a blank JSON line
    this.index++;
    if (text === null) this.sink.error(this.startLine, `object larger than ${MAX_OBJECT_BYTES} bytes`, false, this.index);
    else this.sink.object(text, this.startLine, this.index);
  }

  private fail(line: number, reason: string): void {
    this.state = 'failed';
    this.parts = [];
    this.sink.error(line, reason, true);
  }
}

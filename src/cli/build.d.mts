// Types of build.mjs (plain JavaScript so that it runs before anything is compiled), for the tests.
export declare const ROOT: string;
export declare const STAMP: string;
export declare const SOURCES: readonly string[];
export declare const ENTRY: string;

export interface SourceState {
  readonly digest: string;
  readonly files: number;
  readonly newest: { readonly path: string; readonly mtimeMs: number } | null;
}

export declare function sourceState(root?: string): Promise<SourceState>;
export declare function checkStale(root?: string): Promise<{ stale: boolean; reason: string }>;
export declare function writeStamp(root: string, state: SourceState): Promise<void>;
export declare function build(root?: string, say?: (line: string) => void): Promise<number>;

export interface AllowedSkip { file: string; test: string }
export interface RunCount { passed: number; failed: number; skipped: number; problems: string[] }
export function parseAllowedSkips(text: string): AllowedSkip[];
export function parseFloor(text: string): number;
export function summarizeRun(report: unknown, status: number, options?: { allowed?: AllowedSkip[]; floor?: number; root?: string }): RunCount;
export function closingLine(count: { passed: number; failed: number; skipped: number }): string;

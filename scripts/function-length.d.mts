export interface FunctionLength { name: string; line: number; lines: number }
export const MAX_LINES: number;
export const EXEMPT: string[];
export function functionLengths(fileName: string, text: string): FunctionLength[];
export function longFunctions(dirs: string[], options?: { root?: string; max?: number; exempt?: string[] }): Array<FunctionLength & { file: string }>;

export declare function dewPoint(t: number | null, rh: number | null): number | null;
export declare function frostPoint(t: number | null, rh: number | null): number | null;

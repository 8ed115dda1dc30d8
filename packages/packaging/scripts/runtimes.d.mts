export declare const nodeVersions: string[];
export declare function installRuntimes(): Record<string, string>;

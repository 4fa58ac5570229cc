export declare const KIOSK_CLIENT_DIR: string;
/** Bundles the kiosk page's script into public/kiosk-app/; returns its URL and every file written (URL → bytes). */
export declare function buildKioskClient(options?: { isProduction?: boolean }): {
  entryUrl: string;
  files: Record<string, number>;
};

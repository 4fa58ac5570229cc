/** The element of the /kiosk page that holds the server-rendered boot screen until the kiosk app renders there; it carries the bridge URL. */
export const KIOSK_ROOT_ID = "kiosk-root";

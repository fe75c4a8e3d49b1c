/** The console may play recordings from loopback http (the local stack's simulator); only the local stack sets it. */
export const CONSOLE_LOOPBACK_MEDIA_ENV = 'CONSOLE_LOOPBACK_MEDIA';
/** The console's files, beside its handler's source and copied beside its bundle. */
export const CONSOLE_FILES_DIR = 'console';

/**
 * The validation library every module imports: zod's tree-shakable build (`zod/mini`, about a
 * third of the bundled size of `zod`) with the English messages `zod` would load by itself.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';

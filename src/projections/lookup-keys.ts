// The read model's lookup keys for a username or email as an event has it. An erased account's events read
// "[erased]" (src/erasure): such a value gets no key, so erased accounts replayed side by side never collide on the
// unique indexes and are never found by name (they are deleted a few events later anyway).
import { emailKey, usernameKey } from '../commands/normalize.js';
import { ERASED } from '../erasure/personal-data.js';

export const usernameKeyOf = (username: string): string => (username === ERASED ? '' : usernameKey(username));
export const emailKeyOf = (email: string): string => (email === ERASED ? '' : emailKey(email));

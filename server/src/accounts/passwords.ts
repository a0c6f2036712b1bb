import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id`: the package ships it as a const enum, which isolated modules cannot read. */
const ARGON2ID = 2;
/** OWASP's argon2id baseline: 19 MiB, two passes, one lane. */
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, PARAMS);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash to check against when the username is unknown, so that an unknown user and a wrong password
 * cost the same time and get the same answer.
 */
let decoy: Promise<string> | null = null;
export const decoyPasswordHash = (): Promise<string> =>
  (decoy ??= hashPassword('decoy password, never valid'));

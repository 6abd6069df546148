// The user model the configuration describes, as Django's user model and djoser's serializers see it: which fields
// an account has, which of them djoser's serializers show and take, and how long each may be.
import type { Config, UserFieldSpec } from './config.js';

export interface ModelField {
  readonly name: string;
  readonly kind: 'email' | 'char';
  readonly maxLength: number;
  /** blank=False: required on create and on PUT, never blank. */
  readonly required: boolean;
}

export interface UserModel {
  readonly usernameField: 'username' | 'email';
  readonly loginField: 'username' | 'email';
  readonly idType: 'integer' | 'uuid';
  /** The model's own fields beyond Django's (stored in `profile`). */
  readonly customFields: readonly UserFieldSpec[];
  /** REQUIRED_FIELDS, each with its spec. */
  readonly requiredFields: readonly ModelField[];
  /** djoser's UserSerializer: REQUIRED_FIELDS + id + the username field, in that order. */
  readonly representation: readonly string[];
  /** The REQUIRED_FIELDS a user may change through users/me/ (the username field never: it has its own action). */
  readonly writable: readonly ModelField[];
}

export function userModel(config: Config): UserModel {
  const emailModel = config.USERNAME_FIELD === 'email';
  const spec = (name: string): ModelField => {
    if (name === 'email') return { name, kind: 'email', maxLength: 254, required: emailModel || config.EMAIL_UNIQUE };
    if (name === 'first_name' || name === 'last_name') return { name, kind: 'char', maxLength: 150, required: false };
    const custom = config.USER_FIELDS.find((f) => f.name === name)!;
    return { name, kind: 'char', maxLength: custom.maxLength, required: custom.required };
  };
  const requiredFields = config.REQUIRED_FIELDS.map(spec);
  return {
    usernameField: config.USERNAME_FIELD,
    loginField: config.LOGIN_FIELD,
    idType: config.USER_ID_TYPE,
    customFields: config.USER_FIELDS,
    requiredFields,
    representation: [...config.REQUIRED_FIELDS, 'id', config.USERNAME_FIELD],
    writable: requiredFields,
  };
}

/** An id as the API shows it: a number for integer ids (Django's AutoField), the UUID string otherwise. */
export const apiId = (id: string): string | number => (/^\d+$/.test(id) ? Number(id) : id);

// djoser's user serializers over the configured user model: UserSerializer (REQUIRED_FIELDS + id + the username
// field), UserCreateSerializer (REQUIRED_FIELDS + the username field + password), and the fields users/me/ lets a
// user change. Field specs come from src/user-model.ts.
import { z } from 'zod';
import type { Account } from '../../commands/account.state.js';
import type { ProfileChanges } from '../../commands/profile.js';
import type { Registration } from '../../commands/registration.js';
import type { UserDoc } from '../../readmodel/port.js';
import { apiId, type ModelField, type UserModel } from '../../user-model.js';
import type { FieldNames } from '../errors.js';
import { charField, emailField, usernameField, type Fields } from '../fields.js';

/** A REQUIRED_FIELDS entry as a DRF field; on PATCH nothing is required. */
function modelField(field: ModelField, partial: boolean) {
  const required = field.required && !partial;
  const blank = { required, allowBlank: !field.required };
  return field.kind === 'email' ? emailField(blank) : charField({ ...blank, maxLength: field.maxLength });
}

/** The value of a representation field. */
function valueOf(user: UserDoc | Account, name: string): unknown {
  switch (name) {
    case 'id':
      return apiId(user.id);
    case 'username':
      return user.username;
    case 'email':
      return user.email;
    case 'first_name':
      return user.firstName;
    case 'last_name':
      return user.lastName;
    default:
      return user.profile[name] ?? '';
  }
}

export function userFields(model: UserModel) {
  const loginField = () => (model.usernameField === 'username' ? usernameField() : emailField());
  return {
    /** UserSerializer's representation, keys in djoser's order. */
    present: (user: UserDoc | Account) => Object.fromEntries(model.representation.map((name) => [name, valueOf(user, name)])),

    /** The 201 body of POST users/: UserCreateSerializer's fields without the password. */
    created: (user: UserDoc | Account) =>
      Object.fromEntries(
        [...model.requiredFields.map((f) => f.name), model.usernameField, 'id'].map((name) => [name, valueOf(user, name)]),
      ),

    /** UserCreateSerializer's fields (the retype serializer adds re_password). */
    create(retype: boolean): Fields {
      return {
        ...Object.fromEntries(model.requiredFields.map((f) => [f.name, modelField(f, false)])),
        [model.usernameField]: loginField(),
        password: charField(),
        ...(retype ? { re_password: charField() } : {}),
      };
    },

    /** What users/me/ (and users/<id>/) take: the REQUIRED_FIELDS, except the username field (it has its own action). */
    update: (partial: boolean): Fields => Object.fromEntries(model.writable.map((f) => [f.name, modelField(f, partial)])),

    /** A parsed create body as the use case takes it. */
    registration(body: Record<string, string | undefined>): Registration {
      return {
        username: model.usernameField === 'username' ? body.username! : '',
        email: body.email ?? '',
        password: body.password!,
        ...this.changes(body),
      };
    },

    /** A parsed update body as the use case takes it: only what was sent. */
    changes(body: Record<string, string | undefined>): ProfileChanges {
      const profile = Object.fromEntries(model.customFields.filter((f) => body[f.name] !== undefined).map((f) => [f.name, body[f.name]!]));
      return {
        ...(body.email !== undefined && model.usernameField !== 'email' ? { email: body.email } : {}),
        ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
        ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
        ...(Object.keys(profile).length ? { profile } : {}),
      };
    },

    /** The representation's schema, for the OpenAPI document. */
    schema: z.object(
      Object.fromEntries(
        model.representation.map((name) => [name, name === 'id' ? (model.idType === 'integer' ? z.number().int() : z.uuid()) : z.string()]),
      ),
    ),

    /** Django's unique message names the email field by its verbose name. */
    errorNames: { emailLabel: model.usernameField === 'email' ? 'email' : 'email address' } satisfies FieldNames,
  };
}

export type UserFields = ReturnType<typeof userFields>;

// The shapes most of djoser's UserViewSet actions share.
import { djoserErrors } from '../errors.js';
import { method, type Endpoint, type MethodDoc, type ThrottleSpec } from '../endpoint.js';
import { emailField } from '../fields.js';
import type { EventMetadata } from '../../commands/command-handler.js';

/** A POST action of the ViewSet; other methods fall back on its default permission, CurrentUserOrAdmin. */
export const userAction = (
  path: string,
  post: NonNullable<Endpoint['methods']['POST']>,
  options: Pick<Endpoint, 'fieldNames'> = {},
): Endpoint => ({
  path,
  errors: djoserErrors,
  otherMethods: 'authenticated',
  methods: { POST: post },
  ...options,
});

/** resend_activation, reset_password, reset_username: an email address in, 204 out, whether or not it matched. */
export const emailRequestAction = (
  path: string,
  request: (email: string, metadata: EventMetadata) => Promise<void>,
  doc: Omit<MethodDoc, 'responses'> = {},
): Endpoint =>
  userAction(
    path,
    method({
      permission: 'allowAny',
      throttles: [{ scope: 'email_request', by: 'ip' }],
      fields: { email: emailField() },
      doc: { ...doc, responses: { 204: { description: 'Accepted: the email is sent if the address is that of an account.' } } },
      async handle(req) {
        await request(req.body.email!, req.metadata);
        return { status: 204 };
      },
    }),
  );

/** Logins: failed ones count, per client IP and per login name (a successful login gives its request back). */
export const loginThrottles = (loginField: string): readonly ThrottleSpec[] => [
  { scope: 'login', by: 'ip', refundOnSuccess: true },
  { scope: 'login_account', by: { field: loginField }, refundOnSuccess: true },
];

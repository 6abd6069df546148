// users/<id>/: djoser's detail route. Until the user admin exists every id answers as HIDE_USERS hides other users:
// 404 for an authenticated caller (anonymous: 401, the ViewSet's default permission).
import { DomainError } from '../../commands/decider.js';
import { djoserErrors } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';

export function userDetailEndpoints(): Endpoint[] {
  const hidden = method({
    permission: 'authenticated',
    handle: async () => {
      throw new DomainError('not_found');
    },
  });
  return [
    {
      path: '/users/:id/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: { GET: hidden, PUT: hidden, PATCH: hidden, DELETE: hidden },
    },
  ];
}

// Package bridge is the HTTP side of hirebridge: the webhook handler and its
// request pipeline (method, token, size, decode, challenge, normalize,
// publish), the admin endpoints, and the one place where errors become HTTP
// statuses.
package bridge

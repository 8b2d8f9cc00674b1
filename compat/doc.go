// Package compat holds no code of its own. Its tests start the real server
// on a database nhost's hasura-auth made (shared/fixtures) and prove over
// HTTP that the server drops in for hasura-auth: it starts on that database,
// every existing row keeps working, hasura-auth could take the database back
// afterwards, and failed requests leave nothing half-written. They also
// drive the hasura-auth settings this server honours (HIBP, Turnstile,
// Gravatar, memcached) through the server.
package compat

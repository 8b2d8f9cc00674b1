// Package api holds the HTTP contract of the auth server: nhost's auth OpenAPI
// document, copied unchanged so that tests can check responses against it,
// our own operations beside it, and the document served at /openapi.yaml,
// derived from both (served.go).
package api

import _ "embed"

// OpenAPI is the nhost auth OpenAPI 3.0 document (YAML). It is the contract;
// edit it only to follow upstream changes, never to make a test pass.
//
//go:embed nhost-auth-openapi.yaml
var OpenAPI []byte

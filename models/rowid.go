package models

import "github.com/google/uuid"

// NewRowID is the id of a new session, role, PAT or provider-link row: a
// UUIDv7, whose leading bits are its creation time, so that inserts land at
// the right edge of the primary-key index instead of at a random page of
// it. With a million rows a random key makes each insert read an index
// page that is rarely in shared_buffers (BENCHMARKS.md, "Data growth").
// These ids name rows, never grant anything: tokens and tickets stay random
// (uuid.NewString) and are stored hashed. User ids stay random too, as
// hasura-auth makes them: they are shown to other users through Hasura,
// and a v7 id would tell them when the account was made.
func NewRowID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil { // only when the system's random source fails
		return uuid.New()
	}
	return id
}

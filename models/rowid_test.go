package models

import (
	"bytes"
	"testing"
)

func TestNewRowIDIsTimeOrdered(t *testing.T) {
	prev := NewRowID()
	for range 1000 {
		id := NewRowID()
		if id.Version() != 7 {
			t.Fatalf("%s is version %d, want 7", id, id.Version())
		}
		if bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("%s does not sort after %s", id, prev)
		}
		prev = id
	}
}

package handlers

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDuplicateKeys(t *testing.T) {
	dup := []string{
		`{"a":1,"a":2}`,
		`{"a":{"b":1,"b":2}}`,
		`{"a":[{"b":1},{"c":{"d":1,"d":1}}]}`,
		`{"x":"a","y":["a","a"],"x":null}`,
		`{"alg":"none","alg":"RS256"}`,
	}
	for _, s := range dup {
		require.True(t, errors.Is(duplicateKeys([]byte(s)), errDuplicateKey), s)
	}
	fine := []string{
		`{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}],"d":["a","a"]}`,
		`{"a":"b","b":"a"}`,
		`[{"a":1},{"a":1}]`,
		`{}`,
	}
	for _, s := range fine {
		require.NoError(t, duplicateKeys([]byte(s)), s)
	}
}

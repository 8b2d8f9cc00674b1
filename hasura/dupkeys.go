package hasura

import "errors"

// errDuplicateKey: a JSON object repeats a key (parseJSON with noDuplicates).
var errDuplicateKey = errors.New("duplicate key")

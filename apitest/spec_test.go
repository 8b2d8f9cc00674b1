package apitest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestContractLoads(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for _, item := range s.Paths {
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			if item.operation(m) != nil {
				ops++
			}
		}
	}
	// API-NOTES: the contract has 40 operations, and nhost's current
	// document adds the provider tokens' two; fewer means some were not read.
	if ops != 42 {
		t.Errorf("read %d operations, want 42", ops)
	}
}

// A typo in nullableRefs would silently keep a property strict.
func TestNullableRefsNameRefProperties(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for key := range nullableRefs {
		name, prop, _ := strings.Cut(key, ".")
		sc := s.Components.Schemas[name]
		if sc == nil || sc.Properties[prop] == nil || sc.Properties[prop].ref == nil {
			t.Errorf("nullableRefs[%q]: not a $ref property of a component schema", key)
		}
	}
}

// The contract's own examples must pass; this exercises the validator on data
// written by someone else.
func TestExamplesConform(t *testing.T) {
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(s.Components.Schemas))
	for n := range s.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	checked := 0
	var walk func(owner, where string, sc *schema)
	walk = func(owner, where string, sc *schema) {
		if sc == nil || sc.ref != nil {
			return
		}
		if sc.Example != nil {
			b, err := json.Marshal(sc.Example)
			if err != nil {
				t.Fatalf("%s: marshal example: %v", where, err)
			}
			checked++
			for _, e := range validateBody(sc, owner, b) {
				t.Errorf("%s example %s: %v", where, b, e)
			}
		}
		for p, ps := range sc.Properties {
			walk(owner, where+"."+p, ps)
		}
		walk(owner, where+"[]", sc.Items)
	}
	for _, n := range names {
		walk(n, n, s.Components.Schemas[n])
	}
	if checked < 50 {
		t.Errorf("checked only %d examples", checked)
	}
}

func TestUnsupportedKeywordIsRejected(t *testing.T) {
	var sc schema
	err := yaml.Unmarshal([]byte("type: object\noneOf: []\n"), &sc)
	if err == nil || !strings.Contains(err.Error(), `"oneOf" is not supported`) {
		t.Fatalf("err = %v, want oneOf rejected", err)
	}
}

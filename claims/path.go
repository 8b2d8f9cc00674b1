package claims

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// segment is one dotted step of a path: name, name[] or name[N].
type segment struct {
	name    string
	flatten bool // name[]: continue into each element; the result is always an array
	index   int  // name[N]; -1 when not indexed
}

// source says where a path's value comes from.
type source int

const (
	fromColumn   source = iota // a column of the loaded auth.users row
	fromMetadata               // inside the loaded row's metadata JSON
	fromHasura                 // through a relationship: Hasura's GraphQL endpoint
)

// path is a compiled claim path such as "metadata.plan" or
// "profile.contributesTo[].project.id".
type path struct {
	raw    string
	src    source
	column column    // fromColumn
	segs   []segment // fromMetadata: the steps after "metadata"; fromHasura: all steps
	list   bool      // has a [] step: the value is always an array
}

var (
	segmentPattern = regexp.MustCompile(`^([^.\[\]{}\s]+)(\[\]|\[[0-9]+\])?$`)
	// graphQLName is what may appear in the selection set: anything else
	// would let configuration inject into the query.
	graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)
)

// parsePath compiles a path and decides its source: a column or the
// metadata JSON of auth.users is read from the row already loaded; anything
// else goes through a relationship, so only Hasura can resolve it.
func parsePath(raw string) (*path, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("empty path")
	}
	p := &path{raw: raw}
	for _, part := range strings.Split(raw, ".") {
		m := segmentPattern.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("path %q: %q is not name, name[] or name[N]", raw, part)
		}
		s := segment{name: m[1], index: -1}
		switch {
		case m[2] == "[]":
			s.flatten, p.list = true, true
		case m[2] != "":
			s.index, _ = strconv.Atoi(m[2][1 : len(m[2])-1])
		}
		p.segs = append(p.segs, s)
	}
	first := p.segs[0]
	if secretColumns[first.name] {
		return nil, fmt.Errorf("path %q: %s is a secret column and never goes into a token", raw, first.name)
	}
	switch col, isColumn := columns[first.name]; {
	case first.name == "metadata":
		if first.flatten || first.index >= 0 {
			return nil, fmt.Errorf("path %q: metadata is an object, not an array", raw)
		}
		p.src, p.segs = fromMetadata, p.segs[1:]
	case isColumn:
		if len(p.segs) > 1 || first.flatten || first.index >= 0 {
			return nil, fmt.Errorf("path %q: column %s has no fields or elements", raw, first.name)
		}
		p.src, p.column, p.segs = fromColumn, col, nil
	default:
		p.src = fromHasura
		for _, s := range p.segs {
			if !graphQLName.MatchString(s.name) {
				return nil, fmt.Errorf("path %q: %q is not a GraphQL field name", raw, s.name)
			}
			if s.name == "metadata" {
				break // a jsonb column: the steps after it are JSON keys
			}
		}
	}
	return p, nil
}

// eval walks root along segs with JSONata's rules, which hasura-auth uses:
// a step over an array maps over its elements; without [] in the path one
// result is a value and several are an array; with [] the result is always
// an array. It returns nil when the path yields nothing.
func eval(root any, segs []segment, list bool) any {
	cur := []any{root}
	for _, s := range segs {
		var next []any
		for _, c := range cur {
			next = step(next, c, s)
		}
		cur = next
	}
	switch {
	case list:
		if cur == nil {
			return []any{}
		}
		return cur
	case len(cur) == 0:
		return nil
	case len(cur) == 1:
		return cur[0]
	default:
		return cur
	}
}

func step(out []any, c any, s segment) []any {
	switch x := c.(type) {
	case []any:
		for _, e := range x {
			out = step(out, e, s)
		}
	case map[string]any:
		v := x[s.name]
		if v == nil {
			return out
		}
		arr, isArr := v.([]any)
		switch {
		case s.index >= 0:
			if isArr && s.index < len(arr) && arr[s.index] != nil {
				out = append(out, arr[s.index])
			}
		case s.flatten && isArr:
			for _, e := range arr {
				if e != nil {
					out = append(out, e)
				}
			}
		default:
			out = append(out, v)
		}
	}
	return out
}

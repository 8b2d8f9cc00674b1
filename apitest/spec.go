// Package apitest checks JSON response bodies against the nhost auth contract
// (api/nhost-auth-openapi.yaml). It is test support: import it only from
// _test.go files.
package apitest

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/hasura-auth-go/auth/api"
	"go.yaml.in/yaml/v3"
)

// schema is the subset of an OpenAPI 3.0 schema object that the contract
// uses. Any other validation keyword makes loading fail, so that a future
// contract cannot be half-checked without anyone noticing.
type schema struct {
	Ref                  string             `yaml:"$ref"`
	Type                 string             `yaml:"type"`
	Format               string             `yaml:"format"`
	Nullable             bool               `yaml:"nullable"`
	Enum                 []any              `yaml:"enum"`
	Pattern              string             `yaml:"pattern"`
	MinLength            *int               `yaml:"minLength"`
	MaxLength            *int               `yaml:"maxLength"`
	Properties           map[string]*schema `yaml:"properties"`
	Required             []string           `yaml:"required"`
	AdditionalProperties *additional        `yaml:"additionalProperties"`
	Items                *schema            `yaml:"items"`
	Example              any                `yaml:"example"`

	re  *regexp.Regexp // compiled Pattern
	ref *schema        // resolved Ref
	// refName is the component name of ref, used in messages and to look up
	// nullableRefs.
	refName string
}

// knownKeywords are the schema keys apitest either checks or may ignore
// because they do not constrain a response (annotations).
var knownKeywords = map[string]bool{
	"$ref": true, "type": true, "format": true, "nullable": true, "enum": true,
	"pattern": true, "minLength": true, "maxLength": true, "properties": true,
	"required": true, "additionalProperties": true, "items": true,
	"description": true, "example": true, "default": true, "deprecated": true,
	"title": true, "readOnly": true, "writeOnly": true, "externalDocs": true,
}

func (s *schema) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a schema must be a mapping", n.Line)
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if !knownKeywords[k] && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("line %d: schema keyword %q is not supported by apitest", n.Content[i].Line, k)
		}
	}
	type plain schema // drops this method, avoiding recursion
	return n.Decode((*plain)(s))
}

// additional is additionalProperties: a boolean or a schema. Absent means
// allowed, as in OpenAPI 3.0.
type additional struct {
	allowed bool
	schema  *schema
}

func (a *additional) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return n.Decode(&a.allowed)
	}
	a.allowed = true
	a.schema = new(schema)
	return n.Decode(a.schema)
}

type mediaType struct {
	Schema *schema `yaml:"schema"`
}

type response struct {
	Ref     string               `yaml:"$ref"`
	Content map[string]mediaType `yaml:"content"`
}

type operation struct {
	Responses map[string]*response `yaml:"responses"`
}

// pathItem lists the methods explicitly: a path item also holds keys such as
// parameters and summary that are not operations.
type pathItem struct {
	Get     *operation `yaml:"get"`
	Put     *operation `yaml:"put"`
	Post    *operation `yaml:"post"`
	Delete  *operation `yaml:"delete"`
	Options *operation `yaml:"options"`
	Head    *operation `yaml:"head"`
	Patch   *operation `yaml:"patch"`
	Trace   *operation `yaml:"trace"`
}

func (p *pathItem) operation(method string) *operation {
	switch strings.ToLower(method) {
	case "get":
		return p.Get
	case "put":
		return p.Put
	case "post":
		return p.Post
	case "delete":
		return p.Delete
	case "options":
		return p.Options
	case "head":
		return p.Head
	case "patch":
		return p.Patch
	case "trace":
		return p.Trace
	}
	return nil
}

type spec struct {
	Paths      map[string]*pathItem `yaml:"paths"`
	Components struct {
		Schemas map[string]*schema `yaml:"schemas"`
	} `yaml:"components"`
}

const schemaRefPrefix = "#/components/schemas/"

// loadSpec parses the embedded contract once; every schema is prepared
// (patterns compiled, $refs resolved) so that a broken contract fails loudly
// instead of validating nothing.
var loadSpec = sync.OnceValues(func() (*spec, error) {
	var s spec
	if err := yaml.Unmarshal(api.OpenAPI, &s); err != nil {
		return nil, fmt.Errorf("parse contract: %w", err)
	}
	seen := map[*schema]bool{}
	for name, sc := range s.Components.Schemas {
		if err := s.prepare(sc, seen); err != nil {
			return nil, fmt.Errorf("components.schemas.%s: %w", name, err)
		}
	}
	for path, item := range s.Paths {
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			op := item.operation(m)
			if op == nil {
				continue
			}
			for status, r := range op.Responses {
				if r.Ref != "" {
					return nil, fmt.Errorf("%s %s %s: response $ref is not supported by apitest", m, path, status)
				}
				for ct, mt := range r.Content {
					if mt.Schema == nil {
						continue
					}
					if err := s.prepare(mt.Schema, seen); err != nil {
						return nil, fmt.Errorf("%s %s %s %s: %w", m, path, status, ct, err)
					}
				}
			}
		}
	}
	return &s, nil
})

var knownTypes = map[string]bool{"": true, "object": true, "array": true, "string": true, "integer": true, "number": true, "boolean": true}

func (s *spec) prepare(sc *schema, seen map[*schema]bool) error {
	if sc == nil || seen[sc] {
		return nil
	}
	seen[sc] = true
	if sc.Ref != "" {
		name, ok := strings.CutPrefix(sc.Ref, schemaRefPrefix)
		if !ok {
			return fmt.Errorf("$ref %q: only %s… is supported", sc.Ref, schemaRefPrefix)
		}
		target := s.Components.Schemas[name]
		if target == nil {
			return fmt.Errorf("$ref %q: no such schema", sc.Ref)
		}
		sc.ref, sc.refName = target, name
		return nil // OpenAPI 3.0 ignores the siblings of $ref
	}
	if !knownTypes[sc.Type] {
		return fmt.Errorf("type %q is not supported", sc.Type)
	}
	if sc.Pattern != "" {
		re, err := regexp.Compile(sc.Pattern)
		if err != nil {
			return fmt.Errorf("pattern %q: %w", sc.Pattern, err)
		}
		sc.re = re
	}
	for name, p := range sc.Properties {
		if err := s.prepare(p, seen); err != nil {
			return fmt.Errorf("properties.%s: %w", name, err)
		}
	}
	if sc.AdditionalProperties != nil {
		if err := s.prepare(sc.AdditionalProperties.schema, seen); err != nil {
			return fmt.Errorf("additionalProperties: %w", err)
		}
	}
	if err := s.prepare(sc.Items, seen); err != nil {
		return fmt.Errorf("items: %w", err)
	}
	return nil
}

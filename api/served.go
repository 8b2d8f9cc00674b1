package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Ours holds the operations this server adds to nhost's (admin API,
// signing keys, PAT listing and revocation, elevation by password or
// TOTP, security key management, the purge, metrics, this document) in
// the contract's style, with the components they need beyond nhost's.
//
//go:embed openapi-ours.yaml
var Ours []byte

// Op is one route the server answers, as the served document places it.
type Op struct {
	Method string // GET, HEAD, POST, PUT, DELETE
	Path   string // an OpenAPI path template, e.g. /pat/{id}
	// Where it is served: under AUTH_API_PREFIX, at the server's root, or
	// both. At least one is true.
	UnderPrefix, AtRoot bool
}

// Site is where the server is reached.
type Site struct {
	URL     string // AUTH_SERVER_URL, without the prefix
	Prefix  string // AUTH_API_PREFIX
	Version string // the server's version, for info.version
}

// Document is the served OpenAPI document, in both encodings.
type Document struct {
	YAML, JSON []byte
}

// Served derives the document of exactly the routes in ops: each one's
// operation is taken from nhost's document (OpenAPI) or from Ours, and
// must be in exactly one of them; operations of routes not served, and
// components and tags nothing served refers to, are left out. An
// operation in Ours that no route serves is an error too, so the two
// cannot drift apart.
func Served(ops []Op, site Site) (*Document, error) {
	nhost, err := parseDoc(OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("nhost document: %w", err)
	}
	ours, err := parseDoc(Ours)
	if err != nil {
		return nil, fmt.Errorf("our document: %w", err)
	}
	paths, err := servedPaths(ops, site, nhost, ours)
	if err != nil {
		return nil, err
	}
	components, err := mergeComponents(get(nhost, "components"), get(ours, "components"))
	if err != nil {
		return nil, err
	}
	keepReferenced(components, paths)
	info := clone(get(ours, "info"))
	set(info, "version", scalar(site.Version))
	doc := mapping(
		"openapi", get(nhost, "openapi"),
		"info", info,
		"servers", serverList(site.URL+site.Prefix),
		"tags", usedTags(paths, get(nhost, "tags"), get(ours, "tags")),
		"paths", paths,
		"components", components,
	)
	var y bytes.Buffer
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode the served document: %w", err)
	}
	var j bytes.Buffer
	if err := writeJSON(&j, doc); err != nil {
		return nil, fmt.Errorf("encode the served document as JSON: %w", err)
	}
	return &Document{YAML: y.Bytes(), JSON: j.Bytes()}, nil
}

var methodOrder = []string{"get", "head", "post", "put", "patch", "delete"}

// servedPaths builds the paths object: one operation per op, in path order.
func servedPaths(ops []Op, site Site, nhost, ours *yaml.Node) (*yaml.Node, error) {
	ops = slices.Clone(ops)
	slices.SortFunc(ops, func(a, b Op) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return slices.Index(methodOrder, strings.ToLower(a.Method)) - slices.Index(methodOrder, strings.ToLower(b.Method))
	})
	served := map[string]bool{}
	paths := mapping()
	var errs []error
	for _, op := range ops {
		method := strings.ToLower(op.Method)
		served[method+" "+op.Path] = true
		fromNhost := get(get(get(nhost, "paths"), op.Path), method)
		fromOurs := get(get(get(ours, "paths"), op.Path), method)
		var src *yaml.Node
		switch {
		case fromNhost != nil && fromOurs != nil:
			errs = append(errs, fmt.Errorf("%s %s is in nhost's document and ours: keep it in one", op.Method, op.Path))
			continue
		case fromNhost == nil && fromOurs == nil:
			errs = append(errs, fmt.Errorf("%s %s is served but in no OpenAPI document: add it to api/openapi-ours.yaml", op.Method, op.Path))
			continue
		case fromNhost != nil:
			src = get(get(nhost, "paths"), op.Path)
		default:
			src = get(get(ours, "paths"), op.Path)
		}
		item := get(paths, op.Path)
		if item == nil {
			item = mapping()
			set(paths, op.Path, item)
		}
		// Keys of the path item that are no operation (parameters, summary).
		for i := 0; i < len(src.Content); i += 2 {
			if k := src.Content[i].Value; !slices.Contains(methodOrder, k) && get(item, k) == nil {
				set(item, k, clone(src.Content[i+1]))
			}
		}
		operation := clone(get(src, method))
		if op.AtRoot {
			urls := []string{site.URL}
			if op.UnderPrefix && site.Prefix != "" {
				urls = []string{site.URL + site.Prefix, site.URL}
			}
			set(operation, "servers", serverList(urls...))
		}
		set(item, method, operation)
	}
	ourPaths := get(ours, "paths")
	for i := 0; ourPaths != nil && i < len(ourPaths.Content); i += 2 {
		path, item := ourPaths.Content[i].Value, ourPaths.Content[i+1]
		for j := 0; j < len(item.Content); j += 2 {
			if m := item.Content[j].Value; slices.Contains(methodOrder, m) && !served[m+" "+path] {
				errs = append(errs, fmt.Errorf("api/openapi-ours.yaml describes %s %s, which is not served", strings.ToUpper(m), path))
			}
		}
	}
	return paths, errors.Join(errs...)
}

// mergeComponents joins nhost's components and ours; a name both define is
// an error (ours must not redefine the contract).
func mergeComponents(nhost, ours *yaml.Node) (*yaml.Node, error) {
	out := clone(nhost)
	if out == nil {
		out = mapping()
	}
	var errs []error
	for i := 0; ours != nil && i < len(ours.Content); i += 2 {
		section, entries := ours.Content[i].Value, ours.Content[i+1]
		dst := get(out, section)
		if dst == nil {
			dst = mapping()
			set(out, section, dst)
		}
		for j := 0; j < len(entries.Content); j += 2 {
			name := entries.Content[j].Value
			if get(dst, name) != nil {
				errs = append(errs, fmt.Errorf("components.%s.%s is in nhost's document and ours", section, name))
				continue
			}
			set(dst, name, clone(entries.Content[j+1]))
		}
	}
	return out, errors.Join(errs...)
}

// keepReferenced drops every component that neither paths nor a kept
// component refers to ($ref), and every security scheme no operation names.
func keepReferenced(components, paths *yaml.Node) {
	used := map[string]bool{}
	var queue []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch {
				case k == "$ref" && v.Kind == yaml.ScalarNode:
					ref, ok := strings.CutPrefix(v.Value, "#/components/")
					if ok && !used[ref] {
						used[ref] = true
						section, name, _ := strings.Cut(ref, "/")
						queue = append(queue, get(get(components, section), name))
					}
				case k == "security" && v.Kind == yaml.SequenceNode:
					for _, req := range v.Content {
						for j := 0; j < len(req.Content); j += 2 {
							used["securitySchemes/"+req.Content[j].Value] = true
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(paths)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		walk(n)
	}
	kept := components.Content[:0]
	for i := 0; i < len(components.Content); i += 2 {
		section, entries := components.Content[i], components.Content[i+1]
		names := entries.Content[:0]
		for j := 0; j < len(entries.Content); j += 2 {
			if used[section.Value+"/"+entries.Content[j].Value] {
				names = append(names, entries.Content[j], entries.Content[j+1])
			}
		}
		entries.Content = names
		if len(names) > 0 {
			kept = append(kept, section, entries)
		}
	}
	components.Content = kept
}

// usedTags lists the tags of both documents that a served operation carries.
func usedTags(paths *yaml.Node, lists ...*yaml.Node) *yaml.Node {
	used := map[string]bool{}
	for i := 0; i < len(paths.Content); i += 2 {
		item := paths.Content[i+1]
		for j := 0; j < len(item.Content); j += 2 {
			for _, t := range seq(get(item.Content[j+1], "tags")) {
				used[t.Value] = true
			}
		}
	}
	out := &yaml.Node{Kind: yaml.SequenceNode}
	for _, list := range lists {
		for _, t := range seq(list) {
			if name := get(t, "name"); name != nil && used[name.Value] {
				out.Content = append(out.Content, clone(t))
			}
		}
	}
	return out
}

func serverList(urls ...string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.SequenceNode}
	for _, u := range urls {
		out.Content = append(out.Content, mapping("url", scalar(u)))
	}
	return out
}

// --- yaml.Node helpers ---

func parseDoc(b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	return doc.Content[0], nil
}

// get is a mapping's value for key; nil when n is nil, no mapping, or lacks key.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// set replaces key's value in the mapping n, or appends key.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, scalar(key), v)
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// mapping builds a mapping of key, value pairs; nil values are left out.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		if v, _ := kv[i+1].(*yaml.Node); v != nil {
			set(n, kv[i].(string), v)
		}
	}
	return n
}

func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = clone(x)
	}
	return &c
}

// writeJSON writes n as JSON, keys in the document's order.
func writeJSON(w *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeJSON(w, n.Alias)
	case yaml.MappingNode:
		w.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				w.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			w.Write(k)
			w.WriteByte(':')
			if err := writeJSON(w, n.Content[i+1]); err != nil {
				return err
			}
		}
		w.WriteByte('}')
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeJSON(w, c); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		w.Write(b)
	default:
		return fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
	return nil
}

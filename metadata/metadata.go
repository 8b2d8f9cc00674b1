// Package metadata holds the Hasura metadata for the auth tables, in the CLI's
// v3 directory layout (this directory works with `hasura metadata apply`), and
// reads it for the server, which applies the same files through Hasura's
// metadata API at start (Client, client.go). The files are the single
// source of truth: Load
// rejects any key it does not understand, so nothing in them can be silently
// left out of what the server applies.
package metadata

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The CLI-only files (actions.yaml, …) are not embedded: the server applies
// tables and relationships, nothing else.
//
//go:embed version.yaml databases
var files embed.FS

// FS is the embedded metadata directory.
func FS() fs.FS { return files }

// QualifiedTable names a table as Hasura does.
type QualifiedTable struct {
	Name   string `yaml:"name" json:"name"`
	Schema string `yaml:"schema" json:"schema"`
}

func (t QualifiedTable) String() string { return t.Schema + "." + t.Name }

// Source is one entry of databases.yaml with its tables resolved.
type Source struct {
	Name   string
	Kind   string
	Tables []Table
}

// Table is one tables/<schema>_<name>.yaml file.
type Table struct {
	Table               QualifiedTable `yaml:"table"`
	IsEnum              bool           `yaml:"is_enum"`
	Configuration       TableConfig    `yaml:"configuration"`
	ObjectRelationships []Relationship `yaml:"object_relationships"`
	ArrayRelationships  []Relationship `yaml:"array_relationships"`
}

// TableConfig is Hasura's table configuration; it is sent to the API as-is.
type TableConfig struct {
	CustomName       string                  `yaml:"custom_name" json:"custom_name,omitempty"`
	CustomRootFields map[string]string       `yaml:"custom_root_fields" json:"custom_root_fields,omitempty"`
	ColumnConfig     map[string]ColumnConfig `yaml:"column_config" json:"column_config,omitempty"`
	Comment          string                  `yaml:"comment" json:"comment,omitempty"`
}

// ColumnConfig renames (and optionally documents) one column in GraphQL.
type ColumnConfig struct {
	CustomName string `yaml:"custom_name" json:"custom_name,omitempty"`
	Comment    string `yaml:"comment" json:"comment,omitempty"`
}

// Relationship is an object or array relationship over a foreign key.
type Relationship struct {
	Name    string   `yaml:"name" json:"name"`
	Using   RelUsing `yaml:"using" json:"using"`
	Comment string   `yaml:"comment" json:"comment,omitempty"`
}

// RelUsing is the relationship's definition.
type RelUsing struct {
	ForeignKeyConstraintOn ForeignKey `yaml:"foreign_key_constraint_on" json:"foreign_key_constraint_on"`
}

// ForeignKey is Hasura's foreign_key_constraint_on: a bare column of this
// table (object relationship), or a column of another table that points here.
type ForeignKey struct {
	Column string
	Table  *QualifiedTable // nil: Column is in the relationship's own table
}

// UnmarshalYAML accepts both spellings and rejects unknown keys.
func (f *ForeignKey) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		f.Column, f.Table = n.Value, nil
		return nil
	case yaml.MappingNode:
		var v struct {
			Column string         `yaml:"column"`
			Table  QualifiedTable `yaml:"table"`
		}
		if err := strictDecode(n, &v); err != nil {
			return err
		}
		f.Column, f.Table = v.Column, &v.Table
		return nil
	}
	return fmt.Errorf("line %d: foreign_key_constraint_on must be a column or {column, table}", n.Line)
}

// MarshalJSON writes the same shape the file used.
func (f ForeignKey) MarshalJSON() ([]byte, error) {
	if f.Table == nil {
		return json.Marshal(f.Column)
	}
	return json.Marshal(struct {
		Column string         `json:"column"`
		Table  QualifiedTable `json:"table"`
	}{f.Column, *f.Table})
}

// Load reads the embedded metadata.
func Load() ([]Source, error) { return LoadFS(files) }

// LoadFS reads a v3 metadata directory: version.yaml, databases/databases.yaml
// and the files it includes.
func LoadFS(fsys fs.FS) ([]Source, error) {
	var version struct {
		Version int `yaml:"version"`
	}
	if err := decodeFile(fsys, "version.yaml", &version); err != nil {
		return nil, err
	}
	if version.Version != 3 {
		return nil, fmt.Errorf("version.yaml: version %d, want 3", version.Version)
	}
	const dbFile = "databases/databases.yaml"
	var rawSources []struct {
		Name          string    `yaml:"name"`
		Kind          string    `yaml:"kind"`
		Configuration yaml.Node `yaml:"configuration"` // for the CLI; the server applies to an existing source
		Tables        yaml.Node `yaml:"tables"`
	}
	if err := decodeFile(fsys, dbFile, &rawSources); err != nil {
		return nil, err
	}
	var sources []Source
	for _, rs := range rawSources {
		if rs.Name == "" {
			return nil, fmt.Errorf("%s: a source has no name", dbFile)
		}
		tables, err := loadTables(fsys, dbFile, &rs.Tables)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", rs.Name, err)
		}
		sources = append(sources, Source{Name: rs.Name, Kind: rs.Kind, Tables: tables})
	}
	return sources, nil
}

// loadTables resolves a tables value: "!include file" or a list whose items
// are tables or "!include file" (the CLI's layout: tables.yaml lists includes).
func loadTables(fsys fs.FS, from string, n *yaml.Node) ([]Table, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		file, err := include(from, n)
		if err != nil {
			return nil, err
		}
		var doc yaml.Node
		if err := decodeFile(fsys, file, &doc); err != nil {
			return nil, err
		}
		if len(doc.Content) == 0 {
			return nil, nil // an empty tables.yaml: no tables
		}
		return loadTables(fsys, file, doc.Content[0])
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s line %d: tables must be a list or an !include", from, n.Line)
	}
	var tables []Table
	seen := map[QualifiedTable]string{}
	for _, item := range n.Content {
		var t Table
		where := fmt.Sprintf("%s line %d", from, item.Line)
		if item.Kind == yaml.ScalarNode {
			file, err := include(from, item)
			if err != nil {
				return nil, err
			}
			if err := decodeFile(fsys, file, &t); err != nil {
				return nil, err
			}
			where = file
		} else if err := strictDecode(item, &t); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if prev, dup := seen[t.Table]; dup {
			return nil, fmt.Errorf("%s: table %s already defined in %s", where, t.Table, prev)
		}
		seen[t.Table] = where
		tables = append(tables, t)
	}
	return tables, nil
}

// include resolves `!include name` relative to the including file, as the CLI does.
func include(from string, n *yaml.Node) (string, error) {
	name, ok := strings.CutPrefix(n.Value, "!include ")
	if !ok || strings.TrimSpace(name) == "" {
		return "", fmt.Errorf("%s line %d: want \"!include <file>\", got %q", from, n.Line, n.Value)
	}
	return path.Join(path.Dir(from), strings.TrimSpace(name)), nil
}

// rootFields are the keys Hasura accepts in custom_root_fields.
var rootFields = map[string]bool{
	"select": true, "select_by_pk": true, "select_aggregate": true, "select_stream": true,
	"insert": true, "insert_one": true, "update": true, "update_by_pk": true, "update_many": true,
	"delete": true, "delete_by_pk": true,
}

func (t *Table) validate() error {
	if t.Table.Name == "" || t.Table.Schema == "" {
		return errors.New("table needs name and schema")
	}
	var errs []error
	for k, v := range t.Configuration.CustomRootFields {
		if !rootFields[k] {
			errs = append(errs, fmt.Errorf("custom_root_fields: unknown field %q", k))
		}
		if v == "" {
			errs = append(errs, fmt.Errorf("custom_root_fields.%s is empty", k))
		}
	}
	for col, cc := range t.Configuration.ColumnConfig {
		if cc.CustomName == "" && cc.Comment == "" {
			errs = append(errs, fmt.Errorf("column_config.%s sets nothing", col))
		}
	}
	names := map[string]bool{}
	check := func(kind string, rels []Relationship, remote bool) {
		for _, r := range rels {
			switch fk := r.Using.ForeignKeyConstraintOn; {
			case r.Name == "":
				errs = append(errs, fmt.Errorf("%s relationship without a name", kind))
			case names[r.Name]:
				errs = append(errs, fmt.Errorf("relationship %q defined twice", r.Name))
			case fk.Column == "":
				errs = append(errs, fmt.Errorf("relationship %q: foreign_key_constraint_on needs a column", r.Name))
			case remote && (fk.Table == nil || fk.Table.Name == "" || fk.Table.Schema == ""):
				errs = append(errs, fmt.Errorf("array relationship %q: foreign_key_constraint_on needs {column, table}", r.Name))
			}
			names[r.Name] = true
		}
	}
	check("object", t.ObjectRelationships, false)
	check("array", t.ArrayRelationships, true)
	return errors.Join(errs...)
}

func decodeFile(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// strictDecode decodes a node rejecting unknown keys (yaml.Node.Decode cannot).
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// Package models holds the GORM structs for schema auth and the queries on
// them. Query functions take a *gorm.DB that may be a transaction.
package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
)

// JSONMap is a jsonb column holding an object; NULL reads as nil.
type JSONMap map[string]any

// Value implements driver.Valuer.
func (m JSONMap) Value() (driver.Value, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// Scan implements sql.Scanner.
func (m *JSONMap) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*m = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("jsonb: unexpected type %T", src)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return errors.New("jsonb: column does not hold an object")
	}
	*m = out
	return nil
}

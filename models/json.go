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

// columnBytes is what database/sql hands a Scanner for a text or jsonb
// column; nil for NULL.
func columnBytes(src any) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	}
	return nil, fmt.Errorf("unexpected column type %T", src)
}

// Scan implements sql.Scanner.
func (m *JSONMap) Scan(src any) error {
	b, err := columnBytes(src)
	if err != nil || b == nil {
		*m = nil
		return err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return errors.New("jsonb: column does not hold an object")
	}
	*m = out
	return nil
}

package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
)

// bindJSON decodes the body strictly into dst: JSON content type, size cap,
// no unknown fields, no trailing data. With allowEmpty an absent body leaves
// dst untouched (the nhost client posts /signin/anonymous with no body).
func (h *Handlers) bindJSON(c *gin.Context, dst any, allowEmpty bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, h.cfg.MaxRequestBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierr.Invalid(fmt.Sprintf("The request body is larger than %d bytes", tooBig.Limit))
		}
		return apierr.Invalid("The request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return apierr.Invalid("The request body is empty; send a JSON object")
	}
	if mt, _, err := mime.ParseMediaType(c.ContentType()); err != nil || mt != "application/json" {
		return apierr.Invalid("Content-Type must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return apierr.Invalid(describeJSONError(err))
	}
	if dec.More() {
		return apierr.Invalid("The request body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apierr.Invalid("The request body holds more than one JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("The request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("The request body must be a JSON object, not %s", typ.Value)
		}
		return fmt.Sprintf("%q must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The request body is truncated JSON"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "The request body is not valid JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "of another type"
}

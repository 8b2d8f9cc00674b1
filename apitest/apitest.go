package apitest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Require fails t (fatally) with every violation and the body when body does
// not conform to components.schemas[schema].
func Require(t testing.TB, schema string, body []byte) {
	t.Helper()
	if errs := Validate(schema, body); len(errs) > 0 {
		t.Fatal(report("body does not conform to "+schema, errs, body))
	}
}

// RequireResponse fails t (fatally) when body does not conform to what the
// contract declares for the response status of operation (path, method); see
// ValidateResponse.
func RequireResponse(t testing.TB, path, method string, status int, body []byte) {
	t.Helper()
	if errs := ValidateResponse(path, method, status, body); len(errs) > 0 {
		what := fmt.Sprintf("%s %s %d response does not conform to the contract", strings.ToUpper(method), path, status)
		t.Fatal(report(what, errs, body))
	}
}

// ValidateResponse is RequireResponse without the testing.TB. path is a path
// of the contract, either its template ("/signin/provider/{provider}") or a
// concrete path matching one ("/signin/provider/github"), without any
// AUTH_API_PREFIX. The response is looked up as the exact status, then its
// range ("4XX"), then "default". A response declared without content must
// have an empty body.
func ValidateResponse(path, method string, status int, body []byte) []error {
	s, err := loadSpec()
	if err != nil {
		return []error{fmt.Errorf("apitest: load contract: %w", err)}
	}
	item := s.pathItem(path)
	if item == nil {
		return []error{fmt.Errorf("apitest: the contract has no path %q", path)}
	}
	op := item.operation(method)
	if op == nil {
		return []error{fmt.Errorf("apitest: the contract has no operation %s %s", strings.ToUpper(method), path)}
	}
	code := strconv.Itoa(status)
	r := op.Responses[code]
	if r == nil && len(code) == 3 {
		r = op.Responses[code[:1]+"XX"]
	}
	if r == nil {
		r = op.Responses["default"]
	}
	if r == nil {
		return []error{fmt.Errorf("apitest: %s %s declares neither response %d nor default", strings.ToUpper(method), path, status)}
	}
	if len(r.Content) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return []error{&Violation{Path: "$", Message: "the contract declares no body for this response"}}
		}
		return nil
	}
	mt, ok := r.Content["application/json"]
	if !ok || mt.Schema == nil {
		return []error{fmt.Errorf("apitest: %s %s %d has no application/json schema", strings.ToUpper(method), path, status)}
	}
	// An inline schema has no component name; messages then say "this object".
	return validateBody(mt.Schema, "", body)
}

// pathItem finds path among the contract's paths, literally or by matching
// {parameter} segments; a literal path wins over a template.
func (s *spec) pathItem(path string) *pathItem {
	if item := s.Paths[path]; item != nil {
		return item
	}
	segs := strings.Split(path, "/")
	keys := make([]string, 0, len(s.Paths))
	for k := range s.Paths {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic if two templates match
	for _, k := range keys {
		tsegs := strings.Split(k, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		match := true
		for i, ts := range tsegs {
			isParam := strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}")
			if isParam && segs[i] == "" || !isParam && ts != segs[i] {
				match = false
				break
			}
		}
		if match {
			return s.Paths[k]
		}
	}
	return nil
}

// maxReportedBody keeps a failure readable when a body is large.
const maxReportedBody = 4096

func report(what string, errs []error, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d violation(s)):\n", what, len(errs))
	for _, e := range errs {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	shown := body
	if len(shown) > maxReportedBody {
		shown = shown[:maxReportedBody]
	}
	fmt.Fprintf(&b, "body: %s", shown)
	if len(shown) < len(body) {
		fmt.Fprintf(&b, "… (%d bytes in all)", len(body))
	}
	return b.String()
}

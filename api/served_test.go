package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var site = Site{URL: "https://auth.example.com", Prefix: "/v1", Version: "1.2.3"}

func op(method, path string) Op { return Op{Method: method, Path: path, UnderPrefix: true} }

// ours lists every operation of Ours (all must be served), /metrics at the root.
func ours(t *testing.T) []Op {
	var doc struct{ Paths map[string]map[string]any }
	require.NoError(t, yaml.Unmarshal(Ours, &doc))
	var out []Op
	for path, item := range doc.Paths {
		for method := range item {
			o := op(strings.ToUpper(method), path)
			if path == "/metrics" {
				o = Op{Method: "GET", Path: path, AtRoot: true}
			}
			out = append(out, o)
		}
	}
	return out
}

func TestServedKeepsOnlyWhatIsServed(t *testing.T) {
	doc, err := Served(append(ours(t), op("POST", "/signin/email-password"), op("POST", "/pat")), site)
	require.NoError(t, err)
	var got struct {
		Info    struct{ Version string }
		Servers []struct{ URL string }
		Tags    []struct{ Name string }
		Paths   map[string]map[string]struct {
			OperationID string
			Servers     []struct{ URL string }
		}
		Components map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal(doc.JSON, &got))
	require.Equal(t, "1.2.3", got.Info.Version)
	require.Equal(t, "https://auth.example.com/v1", got.Servers[0].URL)
	require.NotContains(t, got.Paths, "/signup/webauthn", "nhost's operations that are not served are left out")
	require.NotContains(t, got.Paths, "/signup/email-password")
	require.Equal(t, "signInEmailPassword", got.Paths["/signin/email-password"]["post"].OperationID, "from nhost's document")
	require.Equal(t, "listPATs", got.Paths["/pat"]["get"].OperationID, "from ours")
	require.Equal(t, "createPAT", got.Paths["/pat"]["post"].OperationID, "one path, two sources")
	require.Equal(t, "https://auth.example.com", got.Paths["/metrics"]["get"].Servers[0].URL, "served at the root")

	schemas := got.Components["schemas"]
	require.Contains(t, schemas, "SignInEmailPasswordResponse")
	require.Contains(t, schemas, "Session", "referred to by a kept schema")
	require.Contains(t, schemas, "PATInfo")
	require.NotContains(t, schemas, "PublicKeyCredentialCreationOptions", "WebAuthn is not served")
	require.NotContains(t, schemas, "SignUpEmailPasswordRequest")
	require.Contains(t, schemas, "AdminUser")
	require.Contains(t, got.Components["securitySchemes"], "MetricsToken")
	require.NotContains(t, got.Components["parameters"], "SignInProvider")
	var tags []string
	for _, tg := range got.Tags {
		tags = append(tags, tg.Name)
	}
	require.Contains(t, tags, "admin")
	require.NotContains(t, tags, "excludeme")

	// The YAML says the same.
	var fromYAML any
	require.NoError(t, yaml.Unmarshal(doc.YAML, &fromYAML))
	var fromJSON any
	require.NoError(t, json.Unmarshal(doc.JSON, &fromJSON))
	y, err := json.Marshal(fromYAML)
	require.NoError(t, err)
	j, err := json.Marshal(fromJSON)
	require.NoError(t, err)
	require.JSONEq(t, string(j), string(y))
}

func TestServedRefusesDrift(t *testing.T) {
	_, err := Served([]Op{op("GET", "/nowhere")}, site)
	require.ErrorContains(t, err, "GET /nowhere is served but in no OpenAPI document")

	_, err = Served([]Op{op("GET", "/version")}, site)
	require.ErrorContains(t, err, "describes GET /pat, which is not served", "every operation of ours must be served")

	_, err = Served(append(ours(t), op("GET", "/version")), site)
	require.NoError(t, err)
}

func TestServedRefusesAnOperationInBothDocuments(t *testing.T) {
	a, err := parseDoc([]byte("paths:\n  /x:\n    get: {operationId: a}\ncomponents:\n  schemas:\n    S: {type: string}\n"))
	require.NoError(t, err)
	b, err := parseDoc([]byte("paths:\n  /x:\n    get: {operationId: b}\ncomponents:\n  schemas:\n    S: {type: string}\n"))
	require.NoError(t, err)
	_, err = servedPaths([]Op{op("GET", "/x")}, site, a, b)
	require.ErrorContains(t, err, "GET /x is in nhost's document and ours")
	_, err = mergeComponents(get(a, "components"), get(b, "components"))
	require.ErrorContains(t, err, "components.schemas.S is in nhost's document and ours")
}

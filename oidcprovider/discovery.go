package oidcprovider

// Discovery is the provider's metadata (OpenID Connect Discovery 1.0, RFC
// 8414), served at both well-known paths; nhost's OAuth2DiscoveryResponse.
type Discovery struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported,omitempty"`
}

// Discovery returns the provider's metadata. The signing algorithms are
// those of the keys published now (any of the server's algorithms).
func (s *Service) Discovery() *Discovery {
	return &Discovery{
		Issuer:                                     s.issuer,
		AuthorizationEndpoint:                      s.endpoint("/oauth2/authorize"),
		TokenEndpoint:                              s.endpoint("/oauth2/token"),
		UserinfoEndpoint:                           s.endpoint("/oauth2/userinfo"),
		JWKSURI:                                    s.endpoint("/oauth2/jwks"),
		RevocationEndpoint:                         s.endpoint("/oauth2/revoke"),
		IntrospectionEndpoint:                      s.endpoint("/oauth2/introspect"),
		ScopesSupported:                            SupportedScopes,
		ResponseTypesSupported:                     []string{"code"},
		GrantTypesSupported:                        []string{"authorization_code", "refresh_token"},
		SubjectTypesSupported:                      []string{"public"},
		IDTokenSigningAlgValuesSupported:           s.tokens.SigningAlgorithms(),
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "none"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		ClaimsSupported:                            claimsSupported,
		RequestParameterSupported:                  false,
		AuthorizationResponseIssParameterSupported: true,
		ClientIDMetadataDocumentSupported:          s.cimd != nil,
	}
}

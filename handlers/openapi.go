package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/api"
)

// The served OpenAPI document: derived at start from the route table, so it
// describes exactly the routes this server answers (api.Served).

func (h *Handlers) buildOpenAPI(rows []Route) error {
	ops := make([]api.Op, len(rows))
	for i, rt := range rows {
		ops[i] = api.Op{
			Method:      rt.Method,
			Path:        OpenAPIPath(rt.Path),
			UnderPrefix: rt.Mount != AtRoot,
			AtRoot:      rt.Mount != UnderPrefix,
		}
	}
	doc, err := api.Served(ops, api.Site{URL: h.cfg.ServerURL, Prefix: h.cfg.APIPrefix, Version: h.cfg.Version})
	if err != nil {
		return err
	}
	h.openapi = doc
	return nil
}

// OpenAPIPath turns a gin path (/pat/:id) into an OpenAPI template (/pat/{id}).
func OpenAPIPath(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			parts[i] = "{" + name + "}"
		} else if name, ok := strings.CutPrefix(p, "*"); ok {
			parts[i] = "{" + name + "}"
		}
	}
	return strings.Join(parts, "/")
}

func (h *Handlers) openAPIYAML(c *gin.Context) error {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", h.openapi.YAML)
	return nil
}

func (h *Handlers) openAPIJSON(c *gin.Context) error {
	c.Data(http.StatusOK, "application/json; charset=utf-8", h.openapi.JSON)
	return nil
}

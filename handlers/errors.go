package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/logging"
)

// errorBody is the contract's ErrorResponse.
type errorBody struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error"`
}

// writeError is the only place that turns an error into an HTTP response.
// Internal causes go to the log with the request id, never to the client.
func (h *Handlers) writeError(c *gin.Context, err error) {
	var hv *hasura.Error
	if errors.As(err, &hv) {
		// A Bearer token Hasura would refuse: 401, with Hasura's reason.
		err = apierr.Newf(apierr.Unauthorized, hv.Message)
	}
	_ = c.Error(err) // for /metrics (observe.go): the code before concealing, and its cause
	e := apierr.As(err)
	if h.cfg.ConcealErrors {
		e = apierr.Conceal(e)
	}
	if e.Status >= 500 {
		h.log.Error("request failed", "request_id", requestID(c), "method", methodLabel(c.Request.Method), "path", c.FullPath(), "error", err)
	} else if e.Cause != nil {
		h.log.Debug("request refused", "request_id", requestID(c), "code", e.Code, "cause", e.Cause)
	}
	if e.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "1") // the database is away (apierr.Unavailable): retrying soon is right
	}
	if rt := routeOf(c); rt != nil && rt.Errors != nil {
		c.AbortWithStatusJSON(rt.Errors(e))
		return
	}
	c.AbortWithStatusJSON(e.Status, errorBody{Status: e.Status, Message: e.Message, Error: e.Code})
}

// handle adapts handlers that return an error to gin.
func (h *Handlers) handle(fn func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			h.writeError(c, err)
		}
	}
}

func requestID(c *gin.Context) string { return logging.RequestID(c.Request.Context()) }

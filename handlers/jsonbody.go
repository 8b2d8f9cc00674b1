package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
)

// jsonBufs are the buffers writeJSON encodes into. c.JSON marshals into a
// new slice per answer; on GET /user and the session answers that copy was
// a sixth of the bytes a request allocates, and allocation paces the
// collector under the memory limit (memlimit).
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON keeps one large answer (an admin listing) from pinning its
// buffer in the pool.
const maxPooledJSON = 16 << 10

// writeJSON answers status with v encoded as c.JSON would: the same bytes
// (encoding/json, HTML-safe escaping) and content type.
func (h *Handlers) writeJSON(c *gin.Context, status int, v any) {
	b := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= maxPooledJSON {
			b.Reset()
			jsonBufs.Put(b)
		}
	}()
	b.Reset()
	if err := json.NewEncoder(b).Encode(v); err != nil {
		h.writeError(c, apierr.Internal(fmt.Errorf("encode answer: %w", err)))
		return
	}
	c.Data(status, "application/json; charset=utf-8", bytes.TrimSuffix(b.Bytes(), []byte("\n"))) // Encode ends with a newline, Marshal does not
}

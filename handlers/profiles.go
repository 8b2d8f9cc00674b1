package handlers

import (
	"github.com/gin-gonic/gin"
)

// forgetProfiles empties the profile cache after a route that may have
// changed a user (Route.EmptiesProfiles), once its handler has returned (the
// change committed) and before its answer is sent: the handlers' answers
// are small, so net/http (or hold, outside this) still holds them. The
// caller's next GET /user then reads the database. Changes made elsewhere
// reach the cache by notification (account.Service.Profile).
func (h *Handlers) forgetProfiles(c *gin.Context) {
	c.Next()
	h.accounts.ForgetProfiles()
}

package tour

import (
	"net/http"
	"net/http/httptest"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// WriteError renders err as the tour API answers it.
func WriteError(w http.ResponseWriter, err error) {
	httpapi.WriteError(w, httptest.NewRequest(http.MethodPatch, "/tours/x", nil), err)
}

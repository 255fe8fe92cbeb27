package tour

import (
	"net/http"
	"net/http/httptest"
)

// WriteError renders err as the tour API answers it.
func WriteError(w http.ResponseWriter, err error) {
	writeError(w, httptest.NewRequest(http.MethodPatch, "/tours/x", nil), err)
}

package iam

import (
	"net/http"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// refreshRequest is the body of POST /iam/refresh and POST /iam/logout.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// handleRefresh is POST /iam/refresh: a refresh token for a new access
// token and the next refresh token (the same answer as login's).
func (s *Service) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	tok, err := s.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, tokenView(tok))
}

// handleLogout is POST /iam/logout: the refresh token's family is revoked.
// The access token lives on until it expires (minutes); the client drops it.
func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	if err := s.Logout(r.Context(), req.RefreshToken); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

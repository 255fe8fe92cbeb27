package iam

import (
	"errors"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// userView is a user as the API shows it; never the password hash.
type userView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Status    Status    `json:"status"`
	Verified  bool      `json:"verified"`
	CreatedAt time.Time `json:"created_at"`
}

func viewOf(u User) userView {
	return userView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, Verified: u.Verified, CreatedAt: u.CreatedAt}
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
}

func (s *Service) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	u, err := s.Register(r.Context(), Registration(req))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/iam/users/"+u.ID)
	httpapi.WriteJSON(w, http.StatusCreated, viewOf(u))
}

// writeError maps the domain's errors to problems; anything else goes to
// the shared mapping.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid ValidationError
	switch {
	case errors.As(err, &invalid):
		fields := make([]httpapi.FieldError, len(invalid))
		for i, f := range invalid {
			fields[i] = httpapi.FieldError{Field: f.Field, Message: f.Message}
		}
		httpapi.WriteError(w, r, httpapi.Validation(fields...))
	case errors.Is(err, ErrEmailTaken):
		httpapi.WriteError(w, r, httpapi.Conflict("this email is already registered"))
	default:
		httpapi.WriteError(w, r, err)
	}
}

package listing

import (
	"context"
	"net/http"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// accessBody is the write-only access of POST, PUT and PATCH
// /listings/{id}. Left out, the access is kept; both fields empty removes
// it.
type accessBody struct {
	Instructions *string `json:"instructions" doc:"How to get in, up to 2000 characters (never shown back)." example:"Lockbox on the side gate; leave the porch light on."`
	Code         *string `json:"code" doc:"The lockbox or door code, up to 64 characters (never shown back)." example:"4821"`
}

func (b *accessBody) access() access {
	return access{Instructions: str(b.Instructions), Code: str(b.Code)}
}

// accessView is GET /listings/{id}/access: the tour service's read of a
// home's access for the assigned realtor, inside their window.
type accessView struct {
	Instructions string `json:"instructions"`
	Code         string `json:"code"`
}

// accessRoute is the tour service's read of access; no user may call it
// (the realtor reads it through GET /tours/{id}/access, which checks the
// assignment and the window).
func (s *Service) accessRoute() auth.Route {
	return auth.Route{Pattern: "GET /listings/{id}/access", Rule: auth.Services("tour"), Owner: auth.Unowned, Handler: http.HandlerFunc(s.handleAccess),
		Doc: httpapi.Doc{Summary: "A home's access instructions (the tour service only)", Reply: accessView{},
			Description: "Services only: realtors read access through `GET /tours/{id}/access`. 404 when the listing is not visible or has no access set."}}
}

func (s *Service) handleAccess(w http.ResponseWriter, r *http.Request) {
	id, ok := listingID(w, r)
	if !ok {
		return
	}
	a, err := s.Access(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, accessView(a))
}

// saveAccess sets the access the body carried, if any, once the listing
// itself is written.
func (s *Service) saveAccess(ctx context.Context, providerID, id string, a *access) error {
	if a == nil {
		return nil
	}
	return s.SetAccess(ctx, providerID, id, *a)
}

// checkAccess validates the body's access before anything is written, so
// a bad one changes nothing.
func checkAccess(b *accessBody) (*access, error) {
	if b == nil {
		return nil, nil
	}
	a := b.access().Normalized()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// showAccess sets access_set on v when the caller owns the listing (or is
// an admin): others are not told whether a home has a lockbox.
func (s *Service) showAccess(r *http.Request, v *listingView) error {
	p, _ := auth.PrincipalFrom(r.Context())
	if p.Role != auth.RoleAdmin && (p.Role != auth.RoleProvider || p.ID != v.ProviderID) {
		return nil
	}
	set, err := s.AccessSet(r.Context(), v.ID)
	if err != nil {
		return err
	}
	isSet := set[v.ID]
	v.AccessSet = &isSet
	return nil
}

// access is the PATCH body's access, checked; nil when left out.
func (b patchBody) access() (*access, error) {
	if !b.Access.set {
		return nil, nil
	}
	if b.Access.null {
		return nil, validationError{{Field: "access", Message: "must not be null; send empty instructions and code to remove it"}}
	}
	return checkAccess(&b.Access.value)
}

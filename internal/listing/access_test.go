package listing

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/outbox/outboxtest"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// TestAccessIsWriteOnly: a provider sets a home's access with the listing
// (POST, PUT, PATCH); GET shows only access_set, and only to them; the tour
// service reads it; it is sealed at rest and in no event; empty fields
// remove it; a bad one is a 422 that changes nothing.
func TestAccessIsWriteOnly(t *testing.T) {
	storetest.Run(t, func(t *testing.T, open storetest.Opener) {
		s := newServer(t, open)
		owner := s.provider("owner", true)
		other := s.provider("other", true)
		customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
		tourSvc := auth.ServicePrincipal("tour")
		cart := auth.ServicePrincipal("cart")

		b := body(seattle())
		b["access"] = map[string]string{"instructions": "Lockbox on the side gate", "code": "7319-door"}
		var v struct {
			ID        string `json:"id"`
			AccessSet *bool  `json:"access_set"`
		}
		r := s.do(&owner, "POST", "/listings", b).want(http.StatusCreated)
		r.decode(&v)
		if bytes.Contains(r.Body, []byte("7319")) || v.AccessSet == nil || !*v.AccessSet {
			t.Fatalf("created: %s", r.Body)
		}
		path := "/listings/" + v.ID
		shown := func(p auth.Principal) string {
			r := s.do(&p, "GET", path, nil).want(http.StatusOK)
			if bytes.Contains(r.Body, []byte("7319")) || bytes.Contains(r.Body, []byte("Lockbox")) {
				t.Fatalf("GET as %s shows the access: %s", p.ID, r.Body)
			}
			var got map[string]any
			r.decode(&got)
			return strings.TrimSpace(string(must(json.Marshal(got["access_set"]))))
		}
		if got := shown(owner); got != "true" {
			t.Errorf("owner sees access_set %s", got)
		}
		for _, p := range []auth.Principal{other, customer} {
			if got := shown(p); got != "null" {
				t.Errorf("%s sees access_set %s", p.ID, got)
			}
		}
		var a struct{ Instructions, Code string }
		s.do(&tourSvc, "GET", path+"/access", nil).want(http.StatusOK).decode(&a)
		if a.Code != "7319-door" || a.Instructions != "Lockbox on the side gate" {
			t.Fatalf("the tour service read %+v", a)
		}
		for _, p := range []auth.Principal{owner, other, customer, cart} {
			s.do(&p, "GET", path+"/access", nil).want(http.StatusForbidden)
		}

		var sealed []byte
		if err := s.db.QueryRowContext(t.Context(), `SELECT sealed FROM listing_access WHERE listing_id = $1`, v.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("7319")) || bytes.Contains(sealed, []byte("Lockbox")) {
			t.Fatal("the access is stored in the clear")
		}

		// A bad access is refused whole; another provider cannot set it.
		bad := s.do(&owner, "PATCH", path, map[string]any{"title": "New title", "access": map[string]string{"code": "a\u202eb"}}).problem(http.StatusUnprocessableEntity)
		if len(bad.Errors) != 1 || bad.Errors[0].Field != "access.code" {
			t.Errorf("bad code: %+v", bad)
		}
		s.do(&other, "PATCH", path, map[string]any{"access": map[string]string{"code": "0000"}}).want(http.StatusNotFound)
		s.do(&owner, "PATCH", path, map[string]any{"access": nil}).want(http.StatusUnprocessableEntity)
		s.do(&tourSvc, "GET", path+"/access", nil).want(http.StatusOK).decode(&a)
		if a.Code != "7319-door" {
			t.Fatalf("a refused change changed the access: %+v", a)
		}

		// PUT without access keeps it; PATCH with it replaces it; empty removes it.
		s.do(&owner, "PUT", path, body(seattle())).want(http.StatusOK)
		s.do(&owner, "PATCH", path, map[string]any{"access": map[string]string{"instructions": "Key under the mat", "code": "1111"}}).want(http.StatusOK)
		s.do(&tourSvc, "GET", path+"/access", nil).want(http.StatusOK).decode(&a)
		if a.Code != "1111" {
			t.Fatalf("after PATCH: %+v", a)
		}
		s.do(&owner, "PATCH", path, map[string]any{"access": map[string]string{"instructions": "", "code": ""}}).want(http.StatusOK)
		s.do(&tourSvc, "GET", path+"/access", nil).want(http.StatusNotFound)
		if got := shown(owner); got != "false" {
			t.Errorf("after removal access_set %s", got)
		}

		for _, ev := range outboxtest.Events(t, s.db) {
			if bytes.Contains(ev.Data(), []byte("7319")) || bytes.Contains(ev.Data(), []byte("1111")) || bytes.Contains(ev.Data(), []byte("Lockbox")) {
				t.Errorf("event %s carries the access", ev.Type())
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

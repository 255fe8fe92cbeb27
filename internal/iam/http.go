package iam

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/httpapi"
)

// userView is a user as the API shows it; never the password hash.
type userView struct {
	ID        string    `json:"id" example:"4e72adf5-a236-45a0-b2ca-159b41eb4b9e"`
	Email     string    `json:"email" format:"email" example:"ada@example.com"`
	Name      string    `json:"name" example:"Ada Lovelace"`
	Role      role      `json:"role" enum:"customer,provider,realtor,admin"`
	Status    status    `json:"status" enum:"active,suspended"`
	Verified  bool      `json:"verified" doc:"Providers and realtors act only once an admin has verified them."`
	CreatedAt time.Time `json:"created_at"`
}

func viewOf(u userAccount) userView {
	return userView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, Verified: u.Verified, CreatedAt: u.CreatedAt}
}

type registerRequest struct {
	Email    string `json:"email" format:"email" example:"ada@example.com"`
	Password string `json:"password" doc:"At least 12 characters, not one of the most common passwords." example:"correct horse battery staple"`
	Name     string `json:"name" example:"Ada Lovelace"`
	Role     role   `json:"role" enum:"customer,provider,realtor" example:"customer"`
}

func (s *Service) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	u, err := s.Register(r.Context(), registration(req))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Location", "/iam/users/"+u.ID)
	httpapi.WriteJSON(w, http.StatusCreated, viewOf(u))
}

type loginRequest struct {
	Email    string `json:"email" example:"ada@example.com"`
	Password string `json:"password" example:"correct horse battery staple"`
}

type tokenResponse struct {
	AccessToken      string `json:"access_token" doc:"Send as Authorization: Bearer <access_token>." example:"eyJhbGciOiJFZERTQSIsImtpZCI6IjEifQ.e30.sig"`
	TokenType        string `json:"token_type" enum:"Bearer"`
	ExpiresIn        int    `json:"expires_in" doc:"Seconds until the access token expires." example:"900"`
	RefreshToken     string `json:"refresh_token,omitempty" doc:"Users only: send to POST /iam/refresh for new tokens."`
	RefreshExpiresIn int    `json:"refresh_expires_in,omitempty" doc:"Seconds the refresh token stays valid unused." example:"604800"`
}

func tokenView(t tokens) tokenResponse {
	return tokenResponse{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: int(t.ExpiresIn / time.Second),
		RefreshToken: t.RefreshToken, RefreshExpiresIn: int(t.RefreshExpiresIn / time.Second)}
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	tok, err := s.Login(r.Context(), req.Email, req.Password, clientAddress(r))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, tokenView(tok))
}

// clientAddress is the peer's IP. Forwarded headers are not trusted: behind
// a proxy, the proxy must be the one that limits (docs/security.md).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// oauthProblem is a problem that also carries the RFC 6749 error code, so
// OAuth clients and problem+json clients both understand it.
type oauthProblem struct {
	httpapi.Problem
	OAuthError string `json:"error" doc:"The RFC 6749 error code." enum:"invalid_request,unsupported_grant_type,invalid_client"`
}

func writeOAuthError(w http.ResponseWriter, r *http.Request, p *httpapi.Problem, code string) {
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="openhouse"`)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", httpapi.ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(oauthProblem{Problem: *p, OAuthError: code})
}

// handleToken is the OAuth 2.0 token endpoint for service identities
// (client credentials grant, client authentication by HTTP Basic).
func (s *Service) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, r, httpapi.BadRequest("the body must be a small form"), "invalid_request")
		return
	}
	grant := r.PostForm.Get("grant_type")
	if grant != "client_credentials" && grant != auth.GrantTokenExchange {
		writeOAuthError(w, r, httpapi.BadRequest("grant_type must be client_credentials or "+auth.GrantTokenExchange), "unsupported_grant_type")
		return
	}
	cred, ok := auth.ClientCredentialsFrom(r)
	if !ok {
		writeOAuthError(w, r, httpapi.Unauthorized("client credentials are required (HTTP Basic)"), "invalid_client")
		return
	}
	var (
		tok tokens
		err error
	)
	if grant == auth.GrantTokenExchange {
		tok, err = s.DelegatedToken(r.Context(), cred.ClientID, cred.Secret, r.PostForm.Get("requested_subject"), r.PostForm.Get("scope"))
		if errors.Is(err, errNotDelegable) {
			writeOAuthError(w, r, httpapi.Forbidden("this client may not act for that user with that scope"), "invalid_target")
			return
		}
	} else {
		tok, err = s.ServiceToken(cred.ClientID, cred.Secret)
	}
	if errors.Is(err, errBadCredentials) {
		writeOAuthError(w, r, httpapi.Unauthorized("unknown client or wrong secret"), "invalid_client")
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, tokenView(tok))
}

func (s *Service) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	httpapi.WriteJSON(w, http.StatusOK, s.issuer.PublicKeys())
}

func (s *Service) handleRotate(w http.ResponseWriter, r *http.Request) {
	if err := s.RotateKeys(r.Context()); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rotateView{Kid: s.issuer.CurrentKeyID()})
}

type geoPointView struct {
	Lat float64 `json:"lat" minimum:"-90" maximum:"90" example:"41.8781"`
	Lng float64 `json:"lng" minimum:"-180" maximum:"180" example:"-87.6298"`
}

type workingHoursView struct {
	Weekday int    `json:"weekday" doc:"ISO weekday: 1 is Monday, 7 Sunday." minimum:"1" maximum:"7" example:"1"`
	Start   string `json:"start" doc:"Local time in the profile's time zone, HH:MM." example:"09:00"`
	End     string `json:"end" doc:"Local time, HH:MM, after start." example:"17:00"`
}

type profileView struct {
	Location        *geoPointView      `json:"location"`
	ServiceRadiusKM float64            `json:"service_radius_km" doc:"How far from location the realtor travels." example:"25"`
	TimeZone        string             `json:"time_zone" doc:"IANA time zone of the working hours." example:"America/Chicago"`
	WorkingHours    []workingHoursView `json:"working_hours"`
	Status          availability       `json:"status" enum:"available,unavailable"`
	TimeOff         []timeOffView      `json:"time_off" doc:"Spans the realtor takes no tours, by start, in their zone."`
	MaxToursPerDay  int                `json:"max_tours_per_day" doc:"The most tours on one day of the realtor's zone; 0: no cap." example:"4"`
}

// timeOffView is a span of time off as GET /iam/me shows it.
type timeOffView struct {
	Start  time.Time `json:"start" doc:"In the realtor's zone." example:"2026-12-24T00:00:00-06:00"`
	End    time.Time `json:"end" example:"2026-12-27T00:00:00-06:00"`
	Reason string    `json:"reason" example:"Holidays"`
}

// timeOffInput is a span of time off as PATCH /iam/me takes it.
type timeOffInput struct {
	Start  string `json:"start" doc:"RFC 3339, or the realtor's wall clock (2026-12-24T00:00) in their zone." example:"2026-12-24T00:00"`
	End    string `json:"end" doc:"After start, by at most 366 days; same forms." example:"2026-12-27T00:00"`
	Reason string `json:"reason" doc:"Up to 200 characters, one line; shown to the realtor and admins." example:"Holidays"`
}

type recordsView struct {
	Listings      []json.RawMessage `json:"listings" doc:"A provider's listings, as their latest event summarised them."`
	Payments      []json.RawMessage `json:"payments" doc:"A customer's payments."`
	Appointments  []json.RawMessage `json:"appointments" doc:"The appointments of a customer or realtor."`
	Notifications []json.RawMessage `json:"notifications" doc:"Everything the user was told."`
}

// calendarSyncView is a realtor's calendar import as they see it: whether a
// URL is set (never the URL), the last success and the last error.
type calendarSyncView struct {
	URLSet        bool       `json:"url_set"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastError     *string    `json:"last_error"`
}

type meView struct {
	userView
	Profile      *profileView      `json:"profile,omitempty"`
	CalendarSync *calendarSyncView `json:"calendar_sync,omitempty"`
	Records      recordsView       `json:"records"`
}

func meViewOf(me selfView) meView {
	v := meView{userView: viewOf(me.User), Records: recordsView{
		Listings: []json.RawMessage{}, Payments: []json.RawMessage{},
		Appointments: []json.RawMessage{}, Notifications: []json.RawMessage{},
	}}
	if p := me.Profile; p != nil {
		pv := &profileView{ServiceRadiusKM: p.ServiceRadiusKM, TimeZone: p.TimeZone, Status: p.Availability,
			WorkingHours: make([]workingHoursView, len(p.WorkingHours)), MaxToursPerDay: p.MaxToursPerDay,
			TimeOff: make([]timeOffView, len(p.TimeOff))}
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		for i, t := range p.TimeOff {
			pv.TimeOff[i] = timeOffView{Start: t.Start.In(loc), End: t.End.In(loc), Reason: t.Reason}
		}
		if p.Location != nil {
			pv.Location = &geoPointView{Lat: p.Location.Lat, Lng: p.Location.Lng}
		}
		for i, w := range p.WorkingHours {
			pv.WorkingHours[i] = workingHoursView(w)
		}
		v.Profile = pv
	}
	if c := me.Calendar; c != nil {
		cv := &calendarSyncView{URLSet: c.URLSet}
		if !c.LastSuccessAt.IsZero() {
			at := c.LastSuccessAt
			cv.LastSuccessAt = &at
		}
		if c.LastError != "" {
			msg := c.LastError
			cv.LastError = &msg
		}
		v.CalendarSync = cv
	}
	for kind, dst := range map[string]*[]json.RawMessage{"listing": &v.Records.Listings, "payment": &v.Records.Payments,
		"appointment": &v.Records.Appointments, "notification": &v.Records.Notifications} {
		*dst = append(*dst, me.Records[kind]...)
	}
	return v
}

func caller(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	me, err := s.Me(r.Context(), caller(r).ID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, meViewOf(me))
}

type updateMeRequest struct {
	Name            *string             `json:"name" example:"Rita Realtor"`
	Location        *geoPointView       `json:"location"`
	ServiceRadiusKM *float64            `json:"service_radius_km" doc:"Realtors: how far they travel, in km." example:"25"`
	TimeZone        *string             `json:"time_zone" doc:"Realtors: IANA zone of the working hours." example:"America/Chicago"`
	WorkingHours    *[]workingHoursView `json:"working_hours"`
	Status          *availability       `json:"status" doc:"Realtors: whether they take tours." enum:"available,unavailable"`
	TimeOff         *[]timeOffInput     `json:"time_off" doc:"Realtors: every span of time off (replaces the list); over a tour they hold or are booked for: 409 listing the tours."`
	MaxToursPerDay  *int                `json:"max_tours_per_day" doc:"Realtors: the most tours on one day of their zone; 0: no cap." minimum:"0" maximum:"50" example:"4"`
	// CalendarURL is write-only: GET shows calendar_sync instead.
	CalendarURL *string `json:"calendar_url" doc:"Realtors: the secret iCalendar (https) address of their own calendar, whose busy times block tours; \"\" removes it; write-only."`
}

func (s *Service) handleUpdateMe(w http.ResponseWriter, r *http.Request) {
	var req updateMeRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	c := meChange{Name: req.Name, CalendarURL: req.CalendarURL, Profile: profileChange{
		ServiceRadiusKM: req.ServiceRadiusKM, TimeZone: req.TimeZone, Availability: req.Status, MaxToursPerDay: req.MaxToursPerDay}}
	if req.TimeOff != nil {
		off := make([]writtenTimeOff, len(*req.TimeOff))
		for i, t := range *req.TimeOff {
			off[i] = writtenTimeOff(t)
		}
		c.Profile.TimeOff = &off
	}
	if req.Location != nil {
		c.Profile.Location = &geoPoint{Lat: req.Location.Lat, Lng: req.Location.Lng}
	}
	if req.WorkingHours != nil {
		hours := make([]workingHours, len(*req.WorkingHours))
		for i, h := range *req.WorkingHours {
			hours[i] = workingHours(h)
		}
		c.Profile.WorkingHours = &hours
	}
	me, err := s.UpdateMe(r.Context(), caller(r).ID, c)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, meViewOf(me))
}

func (s *Service) handleListUsers(w http.ResponseWriter, r *http.Request) {
	var after userCursor
	page, err := httpapi.ParsePageAfter(r, &after)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := userFilter{Role: role(q.Get("role")), Status: status(q.Get("status"))}
	switch f.Role {
	case "", roleCustomer, roleProvider, roleRealtor, roleAdmin:
	default:
		httpapi.WriteError(w, r, httpapi.BadRequest("role must be customer, provider, realtor or admin"))
		return
	}
	if f.Status != "" && f.Status != statusActive && f.Status != statusSuspended {
		httpapi.WriteError(w, r, httpapi.BadRequest("status must be active or suspended"))
		return
	}
	if v := q.Get("verified"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			httpapi.WriteError(w, r, httpapi.BadRequest("verified must be true or false"))
			return
		}
		f.Verified = &b
	}
	users, err := s.ListUsers(r.Context(), f, after, page.Limit+1)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	users, next := httpapi.Paginate(users, page.Limit, func(last userAccount) any { return userCursor{CreatedAt: last.CreatedAt, ID: last.ID} })
	views := make([]userView, len(users))
	for i, u := range users {
		views[i] = viewOf(u)
	}
	httpapi.WriteJSON(w, http.StatusOK, httpapi.NewList(views, next))
}

func (s *Service) handleGetUser(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	u, err := s.GetUser(r.Context(), p.ID, p.Role == auth.RoleAdmin, r.PathValue("id"))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(u))
}

type adminUpdateRequest struct {
	Verified *bool   `json:"verified" doc:"Verify (or withdraw the verification of) a provider or realtor."`
	Status   *status `json:"status" enum:"active,suspended"`
}

func (s *Service) handleAdminUpdate(w http.ResponseWriter, r *http.Request) {
	var req adminUpdateRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	u, err := s.AdminUpdate(r.Context(), caller(r).ID, r.PathValue("id"), adminChange(req))
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewOf(u))
}

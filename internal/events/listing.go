package events

import "time"

// Event types published by the listing service. The subject of each is the
// listing id.
const (
	TypeListingCreated = "openhouse.listing.listing.created.v1"
	TypeListingUpdated = "openhouse.listing.listing.updated.v1"
	TypeListingDeleted = "openhouse.listing.listing.deleted.v1"
)

// How a ListingUpdated came about: the provider sent the whole listing
// (PUT) or only the fields to change (PATCH). Either way the event carries
// the whole listing after the change.
const (
	UpdateReplace = "replace"
	UpdatePatch   = "patch"
)

// ListingAddress is a listing's postal address; Country is an ISO 3166-1
// alpha-2 code.
type ListingAddress struct {
	Line1      string `json:"line1"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Listing is a whole listing as events carry it, so that a consumer (cart
// snapshots, iam's records, search replicas) can apply any one event without
// reading the ones before it.
type Listing struct {
	ID          string         `json:"id"`
	ProviderID  string         `json:"provider_id"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Address     ListingAddress `json:"address"`
	Location    GeoPoint       `json:"location"`
	Price       Money          `json:"price"`
	Bedrooms    int            `json:"bedrooms"`
	Bathrooms   int            `json:"bathrooms"`
	TourFee     Money          `json:"tour_fee"`
	TimeZone    string         `json:"time_zone"` // IANA name, e.g. America/Los_Angeles
	Status      string         `json:"status"`    // active or deleted
	// Showing are the provider's showing rules; absent in events older
	// than them, which means mode auto and no limits.
	Showing   Showing   `json:"showing"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ListingCreated announces a new listing, active from the start.
type ListingCreated struct {
	Listing Listing `json:"listing"`
}

// ListingUpdated says a provider changed a listing. Mode is UpdateReplace or
// UpdatePatch; Changed names the top-level fields whose value changed
// (title, address, price, ...), never empty.
type ListingUpdated struct {
	Mode    string   `json:"mode"`
	Changed []string `json:"changed"`
	Listing Listing  `json:"listing"`
}

// ListingDeleted says a provider took a listing off the market for good:
// it leaves search and carts. The listing is kept (status deleted) but is no
// longer served.
type ListingDeleted struct {
	ListingID  string    `json:"listing_id"`
	ProviderID string    `json:"provider_id"`
	DeletedAt  time.Time `json:"deleted_at"`
}

// Showing modes: how a request to tour a home is answered.
const (
	// ShowingAuto: every paid tour goes on (the default).
	ShowingAuto = "auto"
	// ShowingConfirm: the provider approves each tour of the home.
	ShowingConfirm = "confirm"
	// ShowingNone: the home is not shown now; Message says why.
	ShowingNone = "none"
)

// Showing are a listing's showing rules, set by its provider: when the home
// may be shown and how a request is answered. The zero value is mode auto
// with no limits, what a listing had before the rules existed. Windows are
// weekly, on the wall clock of the listing's time zone; blackouts are
// instants. The listing service validates them; tourplan applies them.
type Showing struct {
	Mode             string          `json:"mode" enum:"auto,confirm,none" doc:"auto: go and show (default); confirm: the provider approves each tour; none: not shown now." example:"auto"`
	MinNoticeMinutes int             `json:"min_notice_minutes" minimum:"0" maximum:"43200" doc:"How long before a visit it must be booked; 0 for the platform's own lead." example:"120"`
	MaxPerDay        int             `json:"max_per_day" minimum:"0" maximum:"50" doc:"The most showings of the home on one local day; 0 for no limit." example:"4"`
	Windows          []ShowingWindow `json:"windows" doc:"Weekly windows in the home's time zone a visit must lie within; none means any time of the platform's touring day."`
	Blackouts        []TimeRange     `json:"blackouts" doc:"Ranges in which the home is not shown."`
	VisitMinutes     int             `json:"visit_minutes" minimum:"0" maximum:"240" doc:"How long a visit of this home lasts; 0 for the platform's default." example:"45"`
	Message          string          `json:"message" doc:"Shown to buyers, e.g. why the home is not shown now; up to 500 characters." example:"Back on the market after the renovation."`
}

// ShowingWindow is one weekly window: Weekday is ISO 8601 (1 Monday, 7
// Sunday); Start and End are "HH:MM" wall-clock times, Start before End
// ("24:00" is midnight at the end of the day).
type ShowingWindow struct {
	Weekday int    `json:"weekday" minimum:"1" maximum:"7" example:"6"`
	Start   string `json:"start" doc:"HH:MM in the home's time zone." example:"10:00"`
	End     string `json:"end" doc:"HH:MM, after start; 24:00 for the end of the day." example:"14:00"`
}

// TimeRange is the instants from Start up to End.
type TimeRange struct {
	Start time.Time `json:"start" example:"2026-12-24T00:00:00-06:00"`
	End   time.Time `json:"end" example:"2026-12-27T00:00:00-06:00"`
}

// ModeOrAuto is s's mode, auto when unset.
func (s Showing) ModeOrAuto() string {
	if s.Mode == "" {
		return ShowingAuto
	}
	return s.Mode
}

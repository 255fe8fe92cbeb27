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
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
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

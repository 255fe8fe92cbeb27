package listing_test

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/listing"
)

func TestDetailsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *listing.Details)
		fields []string // the fields reported, in order; none: valid
	}{
		{"valid", func(d *listing.Details) {}, nil},
		{"empty description", func(d *listing.Details) { d.Description = "" }, nil},
		{"no region or postal code", func(d *listing.Details) { d.Address.Region, d.Address.PostalCode = "", "" }, nil},
		{"zero bedrooms and bathrooms", func(d *listing.Details) { d.Bedrooms, d.Bathrooms = 0, 0 }, nil},
		{"free tour", func(d *listing.Details) { d.TourFee = usd(0) }, nil},
		{"corners of the map", func(d *listing.Details) { d.Location = listing.Location{Lat: -90, Lng: 180} }, nil},
		{"other corner", func(d *listing.Details) { d.Location = listing.Location{Lat: 90, Lng: -180} }, nil},
		{"multi-line description", func(d *listing.Details) { d.Description = "line one\nline two\r\n\tindented" }, nil},
		{"title at the limit", func(d *listing.Details) { d.Title = strings.Repeat("é", 200) }, nil},
		{"description at the limit", func(d *listing.Details) { d.Description = strings.Repeat("x", 5000) }, nil},
		{"UTC", func(d *listing.Details) { d.TimeZone = "UTC" }, nil},
		{"most rooms", func(d *listing.Details) { d.Bedrooms, d.Bathrooms = 100, 100 }, nil},

		{"empty title", func(d *listing.Details) { d.Title = "" }, []string{"title"}},
		{"title too long", func(d *listing.Details) { d.Title = strings.Repeat("a", 201) }, []string{"title"}},
		{"title with a line break", func(d *listing.Details) { d.Title = "a\nb" }, []string{"title"}},
		{"title with NUL", func(d *listing.Details) { d.Title = "a\x00b" }, []string{"title"}},
		{"description too long", func(d *listing.Details) { d.Description = strings.Repeat("x", 5001) }, []string{"description"}},
		{"description with an escape", func(d *listing.Details) { d.Description = "\x1b[31mred" }, []string{"description"}},
		{"description with a C1 control", func(d *listing.Details) { d.Description = "a\u009bb" }, []string{"description"}},
		{"title with a right-to-left override", func(d *listing.Details) { d.Title = "Loft\u202egnp.exe" }, []string{"title"}},
		{"street with an isolate", func(d *listing.Details) { d.Address.Line1 = "\u20661 Main St" }, []string{"address.line1"}},
		{"invisible title", func(d *listing.Details) { d.Title = "\u200b\u2060" }, []string{"title"}},
		{"invisible description", func(d *listing.Details) { d.Description = "\ufeff" }, []string{"description"}},
		{"invisible postal code", func(d *listing.Details) { d.Address.PostalCode = "\u3164" }, []string{"address.postal_code"}},
		{"no street", func(d *listing.Details) { d.Address.Line1 = "" }, []string{"address.line1"}},
		{"street too long", func(d *listing.Details) { d.Address.Line1 = strings.Repeat("s", 201) }, []string{"address.line1"}},
		{"no city", func(d *listing.Details) { d.Address.City = "" }, []string{"address.city"}},
		{"city too long", func(d *listing.Details) { d.Address.City = strings.Repeat("c", 101) }, []string{"address.city"}},
		{"region too long", func(d *listing.Details) { d.Address.Region = strings.Repeat("r", 101) }, []string{"address.region"}},
		{"postal code too long", func(d *listing.Details) { d.Address.PostalCode = strings.Repeat("9", 21) }, []string{"address.postal_code"}},
		{"no country", func(d *listing.Details) { d.Address.Country = "" }, []string{"address.country"}},
		{"unassigned country", func(d *listing.Details) { d.Address.Country = "XX" }, []string{"address.country"}},
		{"alpha-3 country", func(d *listing.Details) { d.Address.Country = "USA" }, []string{"address.country"}},
		{"country in lower case", func(d *listing.Details) { d.Address.Country = "us" }, []string{"address.country"}},
		{"latitude too far north", func(d *listing.Details) { d.Location.Lat = 90.0001 }, []string{"location.lat"}},
		{"latitude too far south", func(d *listing.Details) { d.Location.Lat = -91 }, []string{"location.lat"}},
		{"latitude NaN", func(d *listing.Details) { d.Location.Lat = math.NaN() }, []string{"location.lat"}},
		{"longitude too far east", func(d *listing.Details) { d.Location.Lng = 180.5 }, []string{"location.lng"}},
		{"longitude infinite", func(d *listing.Details) { d.Location.Lng = math.Inf(-1) }, []string{"location.lng"}},
		{"free home", func(d *listing.Details) { d.Price = usd(0) }, []string{"price.amount"}},
		{"negative price", func(d *listing.Details) { d.Price = usd(-1) }, []string{"price"}},
		{"price beyond the maximum", func(d *listing.Details) { d.Price = usd(events.MaxAmount + 1) }, []string{"price"}},
		{"price without currency", func(d *listing.Details) { d.Price.Currency = "" }, []string{"price"}},
		{"price in lower-case currency", func(d *listing.Details) { d.Price.Currency = "usd" }, []string{"price"}},
		{"negative tour fee", func(d *listing.Details) { d.TourFee = usd(-5) }, []string{"tour_fee"}},
		{"negative bedrooms", func(d *listing.Details) { d.Bedrooms = -1 }, []string{"bedrooms"}},
		{"too many bedrooms", func(d *listing.Details) { d.Bedrooms = 101 }, []string{"bedrooms"}},
		{"too many bathrooms", func(d *listing.Details) { d.Bathrooms = 1000 }, []string{"bathrooms"}},
		{"no time zone", func(d *listing.Details) { d.TimeZone = "" }, []string{"time_zone"}},
		{"unknown time zone", func(d *listing.Details) { d.TimeZone = "Mars/Olympus_Mons" }, []string{"time_zone"}},
		{"Local is the server's zone", func(d *listing.Details) { d.TimeZone = "Local" }, []string{"time_zone"}},
		{"path in a time zone", func(d *listing.Details) { d.TimeZone = "../../etc/passwd" }, []string{"time_zone"}},
		{"everything wrong at once", func(d *listing.Details) {
			*d = listing.Details{Location: listing.Location{Lat: 100, Lng: 200}, Bedrooms: -1, Bathrooms: -1}
		}, []string{"title", "address.line1", "address.city", "address.country", "location.lat", "location.lng",
			"price", "tour_fee", "bedrooms", "bathrooms", "time_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := seattle()
			tt.change(&d)
			err := d.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var invalid listing.ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Validate() = %v, want a ValidationError", err)
			}
			var got []string
			for _, f := range invalid {
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestNormalized(t *testing.T) {
	d := seattle()
	d.Title = "  Loft \t"
	d.Address.City = " Seattle "
	d.Address.Country = " us "
	d.TimeZone = " America/Los_Angeles\n"
	d.Address.Line1 = "1 Rue de l'E\u0301glise"
	d.Description = "Bright.\r\nQuiet.\r"
	n := d.Normalized()
	if n.Title != "Loft" || n.Address.City != "Seattle" || n.Address.Country != "US" || n.TimeZone != "America/Los_Angeles" ||
		n.Address.Line1 != "1 Rue de l'\u00c9glise" || n.Description != "Bright.\nQuiet." {
		t.Fatalf("Normalized() = %+v", n)
	}
	if err := n.Validate(); err != nil {
		t.Fatalf("normalized details invalid: %v", err)
	}
}

func TestIsCountryCode(t *testing.T) {
	for _, c := range []string{"US", "DE", "JP", "AX", "SS", "ZW", "AD", "BQ", "XK"} {
		want := c != "XK" // Kosovo's code is user-assigned, not official
		if got := listing.IsCountryCode(c); got != want {
			t.Errorf("IsCountryCode(%q) = %v, want %v", c, got, want)
		}
	}
	for _, c := range []string{"", "U", "us", "Us", "USA", "S ", " U", "AA", "ZZ", "EU", "UK", "D A"} {
		if listing.IsCountryCode(c) {
			t.Errorf("IsCountryCode(%q) = true", c)
		}
	}
}

func TestPatchApply(t *testing.T) {
	str := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	base := listing.NewListing("l1", "p1", seattle(), t0)
	tests := []struct {
		name    string
		patch   listing.Patch
		changed []string
		check   func(t *testing.T, d listing.Details)
		invalid []string
	}{
		{"nothing", listing.Patch{}, nil, nil, nil},
		{"same value", listing.Patch{Title: str(base.Title)}, nil, nil, nil},
		{"title, trimmed", listing.Patch{Title: str("  New title ")}, []string{"title"},
			func(t *testing.T, d listing.Details) {
				if d.Title != "New title" {
					t.Fatalf("title %q", d.Title)
				}
			}, nil},
		{"one address field keeps the others", listing.Patch{Address: &listing.AddressPatch{PostalCode: str("98102")}}, []string{"address"},
			func(t *testing.T, d listing.Details) {
				if d.Address.PostalCode != "98102" || d.Address.Line1 != base.Address.Line1 || d.Address.City != "Seattle" {
					t.Fatalf("address %+v", d.Address)
				}
			}, nil},
		{"several fields", listing.Patch{Bedrooms: n(3), Price: &events.Money{Amount: 1, Currency: "EUR"},
			Location: &listing.Location{Lat: 1, Lng: 2}}, []string{"location", "price", "bedrooms"}, nil, nil},
		{"bedrooms to zero", listing.Patch{Bedrooms: n(0)}, []string{"bedrooms"}, nil, nil},
		{"invalid result", listing.Patch{Title: str(""), Bedrooms: n(-2)}, nil, nil, []string{"title", "bedrooms"}},
		{"invalid country", listing.Patch{Address: &listing.AddressPatch{Country: str("QQ")}}, nil, nil, []string{"address.country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			later := t0.Add(time.Hour)
			changed, err := l.ApplyPatch(tt.patch, later)
			if tt.invalid != nil {
				var invalid listing.ValidationError
				if !errors.As(err, &invalid) {
					t.Fatalf("ApplyPatch error %v, want a ValidationError", err)
				}
				var fields []string
				for _, f := range invalid {
					fields = append(fields, f.Field)
				}
				if !slices.Equal(fields, tt.invalid) {
					t.Fatalf("invalid fields %v, want %v", fields, tt.invalid)
				}
				if !reflect.DeepEqual(l.Details, base.Details) || !l.UpdatedAt.Equal(base.UpdatedAt) {
					t.Fatal("an invalid patch changed the listing")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(changed, tt.changed) {
				t.Fatalf("changed %v, want %v", changed, tt.changed)
			}
			if len(changed) == 0 && (!l.UpdatedAt.Equal(base.UpdatedAt) || !reflect.DeepEqual(l.Details, base.Details)) {
				t.Fatal("a patch that changes nothing touched the listing")
			}
			if len(changed) > 0 && !l.UpdatedAt.Equal(later) {
				t.Fatalf("updated_at %v, want %v", l.UpdatedAt, later)
			}
			if tt.check != nil {
				tt.check(t, l.Details)
			}
		})
	}
}

func TestCheckWrite(t *testing.T) {
	own := listing.NewListing("l1", "p1", seattle(), t0)
	deleted := own
	deleted.Delete(t0)
	others := listing.NewListing("l2", "p2", seattle(), t0)
	ok := listing.Provider{ID: "p1", Verified: true, Status: listing.ProviderActive}
	tests := []struct {
		name string
		p    listing.Provider
		l    *listing.Listing
		want error
	}{
		{"verified active provider creates", ok, nil, nil},
		{"verified provider whose status iam has not sent yet", listing.Provider{ID: "p1", Verified: true}, nil, nil},
		{"own listing", ok, &own, nil},
		{"other's listing", ok, &others, listing.ErrNotFound},
		{"own deleted listing", ok, &deleted, listing.ErrNotFound},
		{"unknown provider", listing.Provider{ID: "p1"}, nil, listing.ErrNotAllowed},
		{"unverified provider", listing.Provider{ID: "p1", Status: listing.ProviderActive}, &own, listing.ErrNotAllowed},
		{"suspended provider", listing.Provider{ID: "p1", Verified: true, Status: listing.ProviderSuspended}, &own, listing.ErrNotAllowed},
		{"unverified provider on another's listing learns nothing more", listing.Provider{ID: "p1"}, &others, listing.ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := listing.CheckWrite(tt.p, tt.l); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("CheckWrite = %v, want %v", err, tt.want)
			}
		})
	}
}

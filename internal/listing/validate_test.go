package listing

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/events"
)

func TestDetailsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *details)
		fields []string // the fields reported, in order; none: valid
	}{
		{"valid", func(d *details) {}, nil},
		{"empty description", func(d *details) { d.Description = "" }, nil},
		{"no region or postal code", func(d *details) { d.Address.Region, d.Address.PostalCode = "", "" }, nil},
		{"zero bedrooms and bathrooms", func(d *details) { d.Bedrooms, d.Bathrooms = 0, 0 }, nil},
		{"free tour", func(d *details) { d.TourFee = usd(0) }, nil},
		{"corners of the map", func(d *details) { d.Location = location{Lat: -90, Lng: 180} }, nil},
		{"other corner", func(d *details) { d.Location = location{Lat: 90, Lng: -180} }, nil},
		{"multi-line description", func(d *details) { d.Description = "line one\nline two\r\n\tindented" }, nil},
		{"title at the limit", func(d *details) { d.Title = strings.Repeat("é", 200) }, nil},
		{"description at the limit", func(d *details) { d.Description = strings.Repeat("x", 5000) }, nil},
		{"UTC", func(d *details) { d.TimeZone = "UTC" }, nil},
		{"most rooms", func(d *details) { d.Bedrooms, d.Bathrooms = 100, 100 }, nil},

		{"empty title", func(d *details) { d.Title = "" }, []string{"title"}},
		{"title too long", func(d *details) { d.Title = strings.Repeat("a", 201) }, []string{"title"}},
		{"title with a line break", func(d *details) { d.Title = "a\nb" }, []string{"title"}},
		{"title with NUL", func(d *details) { d.Title = "a\x00b" }, []string{"title"}},
		{"description too long", func(d *details) { d.Description = strings.Repeat("x", 5001) }, []string{"description"}},
		{"description with an escape", func(d *details) { d.Description = "\x1b[31mred" }, []string{"description"}},
		{"description with a C1 control", func(d *details) { d.Description = "a\u009bb" }, []string{"description"}},
		{"title with a right-to-left override", func(d *details) { d.Title = "Loft\u202egnp.exe" }, []string{"title"}},
		{"street with an isolate", func(d *details) { d.Address.Line1 = "\u20661 Main St" }, []string{"address.line1"}},
		{"invisible title", func(d *details) { d.Title = "\u200b\u2060" }, []string{"title"}},
		{"invisible description", func(d *details) { d.Description = "\ufeff" }, []string{"description"}},
		{"invisible postal code", func(d *details) { d.Address.PostalCode = "\u3164" }, []string{"address.postal_code"}},
		{"no street", func(d *details) { d.Address.Line1 = "" }, []string{"address.line1"}},
		{"street too long", func(d *details) { d.Address.Line1 = strings.Repeat("s", 201) }, []string{"address.line1"}},
		{"no city", func(d *details) { d.Address.City = "" }, []string{"address.city"}},
		{"city too long", func(d *details) { d.Address.City = strings.Repeat("c", 101) }, []string{"address.city"}},
		{"region too long", func(d *details) { d.Address.Region = strings.Repeat("r", 101) }, []string{"address.region"}},
		{"postal code too long", func(d *details) { d.Address.PostalCode = strings.Repeat("9", 21) }, []string{"address.postal_code"}},
		{"no country", func(d *details) { d.Address.Country = "" }, []string{"address.country"}},
		{"unassigned country", func(d *details) { d.Address.Country = "XX" }, []string{"address.country"}},
		{"alpha-3 country", func(d *details) { d.Address.Country = "USA" }, []string{"address.country"}},
		{"country in lower case", func(d *details) { d.Address.Country = "us" }, []string{"address.country"}},
		{"latitude too far north", func(d *details) { d.Location.Lat = 90.0001 }, []string{"location.lat"}},
		{"latitude too far south", func(d *details) { d.Location.Lat = -91 }, []string{"location.lat"}},
		{"latitude NaN", func(d *details) { d.Location.Lat = math.NaN() }, []string{"location.lat"}},
		{"longitude too far east", func(d *details) { d.Location.Lng = 180.5 }, []string{"location.lng"}},
		{"longitude infinite", func(d *details) { d.Location.Lng = math.Inf(-1) }, []string{"location.lng"}},
		{"free home", func(d *details) { d.Price = usd(0) }, []string{"price.amount"}},
		{"negative price", func(d *details) { d.Price = usd(-1) }, []string{"price"}},
		{"price beyond the maximum", func(d *details) { d.Price = usd(events.MaxAmount + 1) }, []string{"price"}},
		{"price without currency", func(d *details) { d.Price.Currency = "" }, []string{"price"}},
		{"price in lower-case currency", func(d *details) { d.Price.Currency = "usd" }, []string{"price"}},
		{"negative tour fee", func(d *details) { d.TourFee = usd(-5) }, []string{"tour_fee"}},
		{"negative bedrooms", func(d *details) { d.Bedrooms = -1 }, []string{"bedrooms"}},
		{"too many bedrooms", func(d *details) { d.Bedrooms = 101 }, []string{"bedrooms"}},
		{"too many bathrooms", func(d *details) { d.Bathrooms = 1000 }, []string{"bathrooms"}},
		{"no time zone", func(d *details) { d.TimeZone = "" }, []string{"time_zone"}},
		{"unknown time zone", func(d *details) { d.TimeZone = "Mars/Olympus_Mons" }, []string{"time_zone"}},
		{"Local is the server's zone", func(d *details) { d.TimeZone = "Local" }, []string{"time_zone"}},
		{"path in a time zone", func(d *details) { d.TimeZone = "../../etc/passwd" }, []string{"time_zone"}},
		{"everything wrong at once", func(d *details) {
			*d = details{Location: location{Lat: 100, Lng: 200}, Bedrooms: -1, Bathrooms: -1}
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
			var invalid validationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Validate() = %v, want a validationError", err)
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
		if got := isCountryCode(c); got != want {
			t.Errorf("IsCountryCode(%q) = %v, want %v", c, got, want)
		}
	}
	for _, c := range []string{"", "U", "us", "Us", "USA", "S ", " U", "AA", "ZZ", "EU", "UK", "D A"} {
		if isCountryCode(c) {
			t.Errorf("IsCountryCode(%q) = true", c)
		}
	}
}

func TestPatchApply(t *testing.T) {
	str := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	base := newListing("l1", "p1", seattle(), t0)
	tests := []struct {
		name    string
		patch   patch
		changed []string
		check   func(t *testing.T, d details)
		invalid []string
	}{
		{"nothing", patch{}, nil, nil, nil},
		{"same value", patch{Title: str(base.Title)}, nil, nil, nil},
		{"title, trimmed", patch{Title: str("  New title ")}, []string{"title"},
			func(t *testing.T, d details) {
				if d.Title != "New title" {
					t.Fatalf("title %q", d.Title)
				}
			}, nil},
		{"one address field keeps the others", patch{Address: &addressPatch{PostalCode: str("98102")}}, []string{"address"},
			func(t *testing.T, d details) {
				if d.Address.PostalCode != "98102" || d.Address.Line1 != base.Address.Line1 || d.Address.City != "Seattle" {
					t.Fatalf("address %+v", d.Address)
				}
			}, nil},
		{"several fields", patch{Bedrooms: n(3), Price: &events.Money{Amount: 1, Currency: "EUR"},
			Location: &location{Lat: 1, Lng: 2}}, []string{"location", "price", "bedrooms"}, nil, nil},
		{"bedrooms to zero", patch{Bedrooms: n(0)}, []string{"bedrooms"}, nil, nil},
		{"invalid result", patch{Title: str(""), Bedrooms: n(-2)}, nil, nil, []string{"title", "bedrooms"}},
		{"invalid country", patch{Address: &addressPatch{Country: str("QQ")}}, nil, nil, []string{"address.country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			later := t0.Add(time.Hour)
			changed, err := l.ApplyPatch(tt.patch, later)
			if tt.invalid != nil {
				var invalid validationError
				if !errors.As(err, &invalid) {
					t.Fatalf("ApplyPatch error %v, want a validationError", err)
				}
				var fields []string
				for _, f := range invalid {
					fields = append(fields, f.Field)
				}
				if !slices.Equal(fields, tt.invalid) {
					t.Fatalf("invalid fields %v, want %v", fields, tt.invalid)
				}
				if !reflect.DeepEqual(l.details, base.details) || !l.UpdatedAt.Equal(base.UpdatedAt) {
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
			if len(changed) == 0 && (!l.UpdatedAt.Equal(base.UpdatedAt) || !reflect.DeepEqual(l.details, base.details)) {
				t.Fatal("a patch that changes nothing touched the listing")
			}
			if len(changed) > 0 && !l.UpdatedAt.Equal(later) {
				t.Fatalf("updated_at %v, want %v", l.UpdatedAt, later)
			}
			if tt.check != nil {
				tt.check(t, l.details)
			}
		})
	}
}

func TestCheckWrite(t *testing.T) {
	own := newListing("l1", "p1", seattle(), t0)
	deleted := own
	deleted.Delete(t0)
	others := newListing("l2", "p2", seattle(), t0)
	ok := provider{ID: "p1", Verified: true, Status: providerActive}
	tests := []struct {
		name string
		p    provider
		l    *listing
		want error
	}{
		{"verified active provider creates", ok, nil, nil},
		{"verified provider whose status iam has not sent yet", provider{ID: "p1", Verified: true}, nil, nil},
		{"own listing", ok, &own, nil},
		{"other's listing", ok, &others, errNotFound},
		{"own deleted listing", ok, &deleted, errNotFound},
		{"unknown provider", provider{ID: "p1"}, nil, errNotAllowed},
		{"unverified provider", provider{ID: "p1", Status: providerActive}, &own, errNotAllowed},
		{"suspended provider", provider{ID: "p1", Verified: true, Status: providerSuspended}, &own, errNotAllowed},
		{"unverified provider on another's listing learns nothing more", provider{ID: "p1"}, &others, errNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkWrite(tt.p, tt.l); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("checkWrite = %v, want %v", err, tt.want)
			}
		})
	}
}

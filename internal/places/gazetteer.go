package places

import (
	"bufio"
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Kind says what a place is.
type Kind string

const (
	// City is a populated place of GeoNames' cities1000 set.
	City Kind = "city"
	// PostalCode is a US ZIP code (its Census ZCTA centroid).
	PostalCode Kind = "postal_code"
)

// Place is one answer of a search.
type Place struct {
	Name    string
	Region  string // a US state's postal code (IL), elsewhere the first-level division's name
	Country string // ISO 3166-1 alpha-2
	Kind    Kind
	Lat     float64
	Lng     float64
	// Population is the city's (0 for postal codes).
	Population int
	// Town is a postal code's town, the Postal Service's name for it.
	Town string
}

// Gazetteer answers place searches from memory. It is read-only after
// Load, so any number of goroutines may search it at once.
//
// Cities are kept sorted by folded name, column by column (one string of
// all keys and one of all names with their end offsets, small integers for
// regions and countries, float32 coordinates), which holds the 135,000
// cities in about 7 MB; a prefix is a binary search and a scan of its
// range. ZIP codes are one string of sorted five-digit codes.
type Gazetteer struct {
	keys, names     string
	keyEnd, nameEnd []uint32
	region          []uint16
	country         []uint16
	lat, lng        []float32
	pop             []uint32
	regions         []string // by index
	regionKeys      []string // folded regions
	countries       []string
	zips            string // 5 bytes per code, ascending
	zipRegion       []uint16
	zipTown         []uint16 // index into towns
	towns           []string
	zipLat, zipLng  []float32
}

//go:embed places.tsv.zst
var embedded []byte

// Embedded loads the gazetteer compiled into the binary (places.tsv.zst,
// built by scripts/places from GeoNames and the US Census Bureau's ZIP
// code centroids).
func Embedded() (*Gazetteer, error) {
	return Load(bytes.NewReader(embedded))
}

// Load reads a gazetteer file that Pack wrote: zstd-compressed lines of
// tab-separated fields, the cities sorted by key (their folded name) and
// then the ZIP codes in order:
//
//	c  key  name  region  country  lat  lng  population
//	z  zip  region  town  lat  lng
//
// Folding and sorting happen once, in Pack, so loading at start-up is a
// decompression and a scan (timed in docs/performance.md, "Place search").
// A malformed or out-of-order line is an error
// naming its number.
func Load(r io.Reader) (*Gazetteer, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	defer zr.Close()
	g := &Gazetteer{}
	regionIdx, countryIdx, townIdx := map[string]uint16{}, map[string]uint16{}, map[string]uint16{}
	var keys, names, zips strings.Builder
	sc := bufio.NewScanner(zr)
	line := 0
	var f [8][]byte
	prevKey, prevZip := "", ""
	for sc.Scan() {
		line++
		bad := func(why string) error { return fmt.Errorf("gazetteer line %d: %s", line, why) }
		n := split(sc.Bytes(), f[:])
		switch {
		case n == 8 && string(f[0]) == "c":
			key := string(f[1])
			lat, ok1 := coord(f[5], 90)
			lng, ok2 := coord(f[6], 180)
			pop, err := strconv.ParseUint(string(f[7]), 10, 32)
			if !ok1 || !ok2 || err != nil || key == "" || len(f[2]) == 0 {
				return nil, bad("not a city: key, name, region, country, lat, lng, population")
			}
			if key < prevKey || len(g.zipRegion) > 0 {
				return nil, bad("out of order: cities by key, then ZIP codes")
			}
			prevKey = key
			region, err1 := intern(regionIdx, &g.regions, f[3])
			country, err2 := intern(countryIdx, &g.countries, f[4])
			if err := cmp.Or(err1, err2); err != nil {
				return nil, bad(err.Error())
			}
			keys.WriteString(key)
			names.Write(f[2])
			g.keyEnd = append(g.keyEnd, uint32(keys.Len()))
			g.nameEnd = append(g.nameEnd, uint32(names.Len()))
			g.region = append(g.region, region)
			g.country = append(g.country, country)
			g.lat, g.lng, g.pop = append(g.lat, lat), append(g.lng, lng), append(g.pop, uint32(pop))
		case n == 6 && string(f[0]) == "z":
			code := string(f[1])
			lat, ok1 := coord(f[4], 90)
			lng, ok2 := coord(f[5], 180)
			if !ok1 || !ok2 || !isZIP(code) {
				return nil, bad("not a ZIP code: zip, region, town, lat, lng")
			}
			if code <= prevZip {
				return nil, bad("out of order: ZIP codes ascending, each once")
			}
			prevZip = code
			region, err1 := intern(regionIdx, &g.regions, f[2])
			town, err2 := intern(townIdx, &g.towns, f[3])
			if err := cmp.Or(err1, err2); err != nil {
				return nil, bad(err.Error())
			}
			zips.WriteString(code)
			g.zipRegion, g.zipTown = append(g.zipRegion, region), append(g.zipTown, town)
			g.zipLat, g.zipLng = append(g.zipLat, lat), append(g.zipLng, lng)
		default:
			return nil, bad("unknown kind or wrong number of fields")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	g.keys, g.names, g.zips = keys.String(), names.String(), zips.String()
	g.regionKeys = make([]string, len(g.regions))
	for i, r := range g.regions {
		g.regionKeys[i] = Fold(r)
	}
	g.trim()
	return g, nil
}

// trim gives back the spare capacity append left in the columns.
func (g *Gazetteer) trim() {
	g.region, g.country = slices.Clone(g.region), slices.Clone(g.country)
	g.keyEnd, g.nameEnd = slices.Clone(g.keyEnd), slices.Clone(g.nameEnd)
	g.lat, g.lng, g.pop = slices.Clone(g.lat), slices.Clone(g.lng), slices.Clone(g.pop)
	g.zipRegion, g.zipTown = slices.Clone(g.zipRegion), slices.Clone(g.zipTown)
	g.zipLat, g.zipLng = slices.Clone(g.zipLat), slices.Clone(g.zipLng)
}

// split cuts line at tabs into f and returns the number of fields, or
// len(f)+1 when there are more.
func split(line []byte, f [][]byte) int {
	n := 0
	for {
		i := bytes.IndexByte(line, '\t')
		if n == len(f) {
			return n + 1
		}
		if i < 0 {
			f[n] = line
			return n + 1
		}
		f[n], line = line[:i], line[i+1:]
		n++
	}
}

func coord(b []byte, max float64) (float32, bool) {
	v, err := strconv.ParseFloat(string(b), 32)
	return float32(v), err == nil && v >= -max && v <= max
}

// intern returns the index of s in list, adding it when new.
func intern(idx map[string]uint16, list *[]string, b []byte) (uint16, error) {
	if i, ok := idx[string(b)]; ok {
		return i, nil
	}
	if len(*list) > 0xffff {
		return 0, fmt.Errorf("more than %d distinct regions, countries or towns", 0xffff)
	}
	s := string(b)
	i := uint16(len(*list))
	idx[s] = i
	*list = append(*list, s)
	return i, nil
}

// Len is the number of cities and of postal codes.
func (g *Gazetteer) Len() (cities, postalCodes int) { return len(g.keyEnd), len(g.zips) / 5 }

func isZIP(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := range 5 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (g *Gazetteer) key(i int) string {
	start := uint32(0)
	if i > 0 {
		start = g.keyEnd[i-1]
	}
	return g.keys[start:g.keyEnd[i]]
}

func (g *Gazetteer) name(i int) string {
	start := uint32(0)
	if i > 0 {
		start = g.nameEnd[i-1]
	}
	return g.names[start:g.nameEnd[i]]
}

func (g *Gazetteer) city(i int) Place {
	return Place{Name: g.name(i), Region: g.regions[g.region[i]], Country: g.countries[g.country[i]], Kind: City,
		Lat: round4(g.lat[i]), Lng: round4(g.lng[i]), Population: int(g.pop[i])}
}

func (g *Gazetteer) zip(i int) Place {
	return Place{Name: g.zips[5*i : 5*i+5], Region: g.regions[g.zipRegion[i]], Country: "US", Kind: PostalCode,
		Lat: round4(g.zipLat[i]), Lng: round4(g.zipLng[i]), Town: g.towns[g.zipTown[i]]}
}

// round4 gives back the 4 decimals the file has: float32 holds them, but
// 41.85 widened to a float64 would print as 41.85000228881836.
func round4(f float32) float64 {
	return math.Round(float64(f)*1e4) / 1e4
}

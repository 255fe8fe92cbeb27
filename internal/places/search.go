package places

import (
	"sort"
	"strings"
)

// MaxQueryLen bounds a query, in bytes; no place name is near it.
const MaxQueryLen = 100

// MaxResults bounds the answers to one search.
const MaxResults = 20

// Search returns up to limit places matching q, best first:
//
//   - digits (a whole or partial ZIP code, ZIP+4 allowed): the US ZIP codes
//     that start with them, in order, before any city whose name starts
//     with digits;
//   - otherwise a prefix of a city's name, accent-, case- and
//     punctuation-blind (see Fold): a city whose whole name is the query
//     first, then by population, so "paris" is Paris, France, before
//     Paris, Texas, and "chic" is Chicago;
//   - "name, qualifier" keeps the cities whose region starts with the
//     qualifier, or whose country code is it: "springfield, il",
//     "paris, tx", "london, ca".
//
// A query that folds to nothing matches nothing.
func (g *Gazetteer) Search(q string, limit int) []Place {
	limit = min(max(limit, 0), MaxResults)
	if len(q) > MaxQueryLen || limit == 0 {
		return nil
	}
	name, qualifier, _ := strings.Cut(q, ",")
	key, qual := Fold(name), Fold(qualifier)
	if key == "" {
		return nil
	}
	var out []Place
	if qual == "" {
		if zip, ok := zipPrefix(key); ok {
			out = g.zipsFrom(zip, limit)
		}
	}
	if len(out) < limit {
		out = g.cities(key, qual, limit-len(out), out)
	}
	return out
}

// zipPrefix reads "606", "60614" or "60614 1234" (ZIP+4, folded) as the
// prefix of a ZIP code.
func zipPrefix(key string) (string, bool) {
	zip, plus4, four := strings.Cut(key, " ")
	digits := func(s string) bool {
		for i := range len(s) {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if len(zip) == 0 || len(zip) > 5 || !digits(zip) || (four && (len(zip) != 5 || len(plus4) > 4 || !digits(plus4))) {
		return "", false
	}
	return zip, true
}

func (g *Gazetteer) zipsFrom(prefix string, limit int) []Place {
	n := len(g.zips) / 5
	i := sort.Search(n, func(i int) bool { return g.zips[5*i:5*i+5] >= prefix })
	var out []Place
	for ; i < n && len(out) < limit && strings.HasPrefix(g.zips[5*i:5*i+5], prefix); i++ {
		out = append(out, g.zip(i))
	}
	return out
}

// cities appends to out the best limit cities whose key starts with
// prefix (and whose region or country fits qual).
func (g *Gazetteer) cities(prefix, qual string, limit int, out []Place) []Place {
	n := len(g.keyEnd)
	lo := sort.Search(n, func(i int) bool { return g.key(i) >= prefix })
	// best holds the indexes of the best cities so far, best first; a
	// prefix of one letter spans ~10,000 cities, so a full sort would cost
	// more than this insertion into a list of at most 20.
	best := make([]int, 0, limit)
	better := func(a, b int) bool {
		ea, eb := len(g.key(a)) == len(prefix), len(g.key(b)) == len(prefix)
		if ea != eb {
			return ea
		}
		if g.pop[a] != g.pop[b] {
			return g.pop[a] > g.pop[b]
		}
		return a < b
	}
	for i := lo; i < n && strings.HasPrefix(g.key(i), prefix); i++ {
		if qual != "" && !g.qualifies(i, qual) {
			continue
		}
		if len(best) == limit && !better(i, best[limit-1]) {
			continue
		}
		at := sort.Search(len(best), func(j int) bool { return better(i, best[j]) })
		if len(best) < limit {
			best = append(best, 0)
		}
		copy(best[at+1:], best[at:])
		best[at] = i
	}
	for _, i := range best {
		out = append(out, g.city(i))
	}
	return out
}

func (g *Gazetteer) qualifies(i int, qual string) bool {
	return strings.HasPrefix(g.regionKeys[g.region[i]], qual) || strings.EqualFold(g.countries[g.country[i]], qual)
}

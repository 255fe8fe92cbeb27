package places

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// embedded loads the real gazetteer once for the tests that use it.
var embeddedOnce = sync.OnceValues(Embedded)

func loadEmbedded(t testing.TB) *Gazetteer {
	t.Helper()
	g, err := embeddedOnce()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// small packs lines as scripts/places does and loads the result.
func small(t *testing.T, lines ...string) *Gazetteer {
	t.Helper()
	var packed bytes.Buffer
	if err := Pack(&packed, strings.NewReader(strings.Join(lines, "\n")+"\n")); err != nil {
		t.Fatal(err)
	}
	g, err := Load(&packed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func names(ps []Place) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name + "/" + p.Region + "/" + p.Country
	}
	return out
}

func TestSearchRanks(t *testing.T) {
	g := small(t,
		"c\tParis\tÎle-de-France\tFR\t48.8534\t2.3488\t2138551",
		"c\tParis\tTX\tUS\t33.6609\t-95.5555\t24782",
		"c\tParisville\tMI\tUS\t43.0\t-82.0\t1200",
		"c\tBath\tEngland\tGB\t51.3751\t-2.3617\t94782",
		"c\tBathinda\tPunjab\tIN\t30.2\t74.9\t285788",
		"c\tSão Paulo\tSão Paulo\tBR\t-23.5475\t-46.6361\t10021295",
		"c\tSpringfield\tIL\tUS\t39.8017\t-89.6437\t116565",
		"c\tSpringfield\tMO\tUS\t37.2153\t-93.2982\t166810",
		"z\t60614\tIL\tTown\t41.9227\t-87.6472",
		"z\t60601\tIL\tTown\t41.8852\t-87.6215",
		"z\t10001\tNY\tTown\t40.7507\t-73.9973",
	)
	for q, want := range map[string]string{
		"paris":                            "Paris/Île-de-France/FR Paris/TX/US Parisville/MI/US", // by population
		"PARI":                             "Paris/Île-de-France/FR Paris/TX/US Parisville/MI/US",
		"bath":                             "Bath/England/GB Bathinda/Punjab/IN", // the whole name first
		"bat":                              "Bathinda/Punjab/IN Bath/England/GB",
		"sao p":                            "São Paulo/São Paulo/BR",
		"São":                              "São Paulo/São Paulo/BR",
		"springfield":                      "Springfield/MO/US Springfield/IL/US",
		"springfield, il":                  "Springfield/IL/US",
		"Springfield, Ill":                 "", // a qualifier is a region's prefix: "IL" is the region
		"paris, tx":                        "Paris/TX/US",
		"paris, fr":                        "Paris/Île-de-France/FR", // a country code
		"paris, ile":                       "Paris/Île-de-France/FR", // a region's name, folded
		"606":                              "60601/IL/US 60614/IL/US",
		"60614":                            "60614/IL/US",
		"60614-1234":                       "60614/IL/US",
		"6061412":                          "",
		"lyon":                             "",
		"  ":                               "",
		strings.Repeat("a", MaxQueryLen+1): "",
	} {
		if got := strings.Join(names(g.Search(q, 10)), " "); got != want {
			t.Errorf("Search(%q) = %s, want %s", q, got, want)
		}
	}
	if got := g.Search("p", 2); len(got) != 2 || got[0].Name != "Paris" || got[0].Country != "FR" {
		t.Errorf("Search(p, 2) = %v", names(got))
	}
	zip := g.Search("60614", 1)[0]
	if zip != (Place{Name: "60614", Region: "IL", Country: "US", Kind: PostalCode, Lat: 41.9227, Lng: -87.6472, Town: "Town"}) {
		t.Errorf("60614 = %+v", zip)
	}
	if city := g.Search("paris, tx", 1)[0]; city.Kind != City || city.Lat != 33.6609 || city.Lng != -95.5555 || city.Population != 24782 {
		t.Errorf("Paris, TX = %+v", city)
	}
}

// TestEmbeddedGazetteer: the file in the binary has the world's towns and
// the US ZIP codes, folded with today's Fold (a change to Fold without
// rebuilding the file by scripts/places/build fails here), and answers the
// searches people make.
func TestEmbeddedGazetteer(t *testing.T) {
	g := loadEmbedded(t)
	cities, zips := g.Len()
	if cities < 130_000 || zips < 33_000 {
		t.Fatalf("%d cities and %d ZIP codes, want the full lists", cities, zips)
	}
	for i := range cities {
		if k := g.key(i); k != Fold(g.name(i)) {
			t.Fatalf("city %q has key %q, but Fold gives %q: rebuild with scripts/places/build", g.name(i), k, Fold(g.name(i)))
		}
	}
	for q, want := range map[string]string{
		"Chicago":   "Chicago/IL/US",
		"chic":      "Chicago/IL/US",
		"sao paulo": "São Paulo/São Paulo/BR",
		"zurich":    "Zürich/Zurich/CH",
		"lodz":      "Łódź/Łódź Voivodeship/PL",
		"new york":  "New York City/NY/US",
		"paris":     "Paris/Île-de-France/FR",
		"60614":     "60614/IL/US",
		"10001":     "10001/NY/US",
		"90210":     "90210/CA/US",
	} {
		got := g.Search(q, 5)
		if len(got) == 0 || names(got[:1])[0] != want {
			t.Errorf("Search(%q) = %v, want %s first", q, names(got), want)
		}
	}
}

// TestLoadRefusesBadFiles: a file Pack did not make (or a damaged one) is
// an error naming the line, never a gazetteer that answers wrongly.
func TestLoadRefusesBadFiles(t *testing.T) {
	compress := func(s string) *bytes.Buffer {
		var b bytes.Buffer
		w, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
		w.Close()
		return &b
	}
	const ok = "c\tchicago\tChicago\tIL\tUS\t41.85\t-87.65\t2720546\n"
	if _, err := Load(compress(ok)); err != nil {
		t.Fatalf("a good line: %v", err)
	}
	for name, body := range map[string]string{
		"cities out of order": "c\tparis\tParis\tTX\tUS\t1\t1\t1000\n" + ok,
		"a city after a ZIP":  "z\t60614\tIL\tTown\t1\t1\n" + ok,
		"a ZIP twice":         "z\t60614\tIL\tTown\t1\t1\nz\t60614\tIL\t1\t1\n",
		"a short ZIP":         "z\t6061\tIL\tX\t1\t1\n",
		"a bad latitude":      "c\tx\tX\tR\tUS\t91\t0\t1000\n",
		"a bad longitude":     "c\tx\tX\tR\tUS\t0\teast\t1000\n",
		"a bad population":    "c\tx\tX\tR\tUS\t1\t0\t-5\n",
		"no key":              "c\t\tX\tR\tUS\t1\t0\t5\n",
		"a missing field":     "c\tx\tX\tR\tUS\t1\t0\n",
		"an extra field":      "c\tx\tX\tR\tUS\t1\t0\t5\t6\n",
		"an unknown kind":     "q\tx\n",
	} {
		if _, err := Load(compress(body)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("%s: %v, want an error naming the line", name, err)
		}
	}
	if _, err := Load(strings.NewReader(ok)); err == nil {
		t.Error("an uncompressed file loaded")
	}
	for _, bad := range []string{"c\tX\tR\tUS\t1\t1\n", "c\t--\tR\tUS\t1\t1\t5\n", "z\t606\tIL\tX\t1\t1\n"} {
		if err := Pack(new(bytes.Buffer), strings.NewReader(bad)); err == nil {
			t.Errorf("Pack(%q) = nil, want an error", bad)
		}
	}
}

package places

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Pack turns the lines scripts/places/build.mjs writes from the npm
// packages into the file Load reads (see there): it folds each city's
// name into its key with Fold, sorts the cities by key (the most populous
// first within one key) and the ZIP codes by code, and compresses the
// result with zstd. The same input gives the same bytes.
//
// Input lines, tab-separated:
//
//	c  name  region  country  lat  lng  population
//	z  zip   region  town  lat  lng
func Pack(dst io.Writer, src io.Reader) error {
	type city struct {
		key, line string
		pop       int
	}
	var cities []city
	var zips []string
	sc := bufio.NewScanner(src)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		switch {
		case len(f) == 7 && f[0] == "c":
			var pop int
			if _, err := fmt.Sscan(f[6], &pop); err != nil || Fold(f[1]) == "" {
				return fmt.Errorf("line %d: not a city", line)
			}
			key := Fold(f[1])
			cities = append(cities, city{key: key, pop: pop, line: "c\t" + key + "\t" + strings.Join(f[1:], "\t")})
		case len(f) == 6 && f[0] == "z" && isZIP(f[1]):
			zips = append(zips, sc.Text())
		default:
			return fmt.Errorf("line %d: unknown kind or wrong number of fields", line)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.SortFunc(cities, func(a, b city) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(b.pop, a.pop), strings.Compare(a.line, b.line))
	})
	slices.Sort(zips)
	zw, err := zstd.NewWriter(dst, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	for _, c := range cities {
		w.WriteString(c.line)
		w.WriteByte('\n')
	}
	for _, z := range zips {
		w.WriteString(z)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

package store

import "testing"

func TestPoolSizeFromTheURL(t *testing.T) {
	for _, c := range []struct {
		in, out string
		n       int
		bad     bool
	}{
		{"postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", 16, false},
		{"postgres://u@h/db?max_conns=4&sslmode=disable", "postgres://u@h/db?sslmode=disable", 4, false},
		{"postgres://u@h/db?max_conns=0", "", 0, true},
		{"postgres://u@h/db?max_conns=x", "", 0, true},
	} {
		n, out, err := poolSize(c.in)
		if (err != nil) != c.bad || n != c.n || out != c.out {
			t.Errorf("poolSize(%q) = %d, %q, %v", c.in, n, out, err)
		}
	}
}

package places

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Chicago":           "chicago",
		"  CHICAGO  ":       "chicago",
		"São Paulo":         "sao paulo",
		"Zürich":            "zurich",
		"Łódź":              "lodz",
		"Köln":              "koln",
		"Ærøskøbing":        "aeroskobing",
		"Straße":            "strasse",
		"Winston-Salem":     "winston salem",
		"St. Louis":         "st louis",
		"Coeur d'Alene":     "coeur d alene",
		"İstanbul":          "istanbul",
		"e\u0301cole":       "ecole", // a combining accent typed separately
		"Zürich (Kreis 11)": "zurich kreis 11",
		"60614-1234":        "60614 1234",
		"東京":                "東京", // letters without a decomposition stay
		"":                  "",
		" ,;- ":             "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

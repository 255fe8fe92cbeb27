package apidoc

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestVendoredRedocIsPinned: the embedded Redoc bundle is the one
// ui/README.md names by its sha256, so it cannot change unnoticed; its
// licence is served beside it.
func TestVendoredRedocIsPinned(t *testing.T) {
	readme, err := os.ReadFile("ui/README.md")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := ui.ReadFile("ui/redoc.standalone.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bundle)
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), ""), hex.EncodeToString(sum[:])) {
		t.Fatalf("ui/redoc.standalone.js has sha256 %x, which ui/README.md does not name: update both together", sum)
	}
	if lic, err := ui.ReadFile("ui/redoc.LICENSE"); err != nil || !strings.Contains(string(lic), "MIT License") {
		t.Fatalf("the Redoc licence is missing: %v", err)
	}
}

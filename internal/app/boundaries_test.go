package app

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const internalPrefix = "github.com/openhouse/openhouse/internal/"

// TestPackageBoundaries keeps the architecture honest: services share events
// and HTTP contracts only, never each other's code, and the platform knows
// no business. Only this package (app) wires services together.
// operatorTools are the packages besides the command that may import app:
// they start and inspect whole systems, so they read the service list and
// the settings app defines. No service or platform package is one.
var operatorTools = map[string]bool{"cluster": true}

func TestPackageBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	services := ServiceNames()
	serviceOf := func(pkg string) string {
		rel := strings.TrimPrefix(pkg, internalPrefix)
		if rel == pkg {
			return ""
		}
		first, _, _ := strings.Cut(rel, "/")
		if slices.Contains(services, first) {
			return first
		}
		return ""
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath  string
			Imports     []string
			TestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		checked++
		rel := strings.TrimPrefix(p.ImportPath, internalPrefix)
		own := serviceOf(p.ImportPath)
		for _, imp := range append(p.Imports, p.TestImports...) {
			if !strings.HasPrefix(imp, internalPrefix) {
				continue
			}
			target := strings.TrimPrefix(imp, internalPrefix)
			switch {
			case own != "" && serviceOf(imp) != "" && serviceOf(imp) != own:
				t.Errorf("%s imports %s: services talk through events and HTTP, not code", rel, target)
			case strings.HasPrefix(rel, "platform/") && (serviceOf(imp) != "" || target == "events" || target == "app"):
				t.Errorf("%s imports %s: the platform must not know the business", rel, target)
			case rel == "events" && target != "events":
				t.Errorf("events imports %s: the catalogue depends on nothing", target)
			case target == "app" && !strings.HasPrefix(p.ImportPath, "github.com/openhouse/openhouse/cmd/") && rel != "app" && !operatorTools[rel]:
				t.Errorf("%s imports app: only the command wires the process", rel)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; is go list looking at the module?", checked)
	}
}

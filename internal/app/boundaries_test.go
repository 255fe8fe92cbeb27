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

// operatorTools are the packages besides the command that may import app:
// they start and inspect whole systems, so they read the service list and
// the settings app defines. No service or platform package is one.
var operatorTools = map[string]bool{"cluster": true}

// serviceParts are packages that run in a service's process and database
// but are not that service's code: the audit log and the user records run
// beside iam (see buildIAM). They are held to the services' rule: they
// share events and HTTP contracts only, with iam as with every other
// service, and only app wires them.
var serviceParts = []string{"auditlog", "records"}

// TestPackageBoundaries keeps the architecture honest: services (and the
// service parts) share events and HTTP contracts only, never each other's
// code; the platform knows no business (and its HTTP layer no store); the
// failure kinds (platform/fault), which every domain imports, know neither
// HTTP nor any other package; the event catalogue depends on nothing; and only the command and the operator tools import app, which
// wires services together.
func TestPackageBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	services := append(ServiceNames(), serviceParts...)
	seen := map[string]bool{}
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
		seen[own] = true
		if rel == "platform/fault" {
			for _, imp := range p.Imports {
				if imp == "net/http" || strings.HasPrefix(imp, internalPrefix) {
					t.Errorf("fault imports %s: domains declare their failures with it, so it knows neither HTTP nor other packages", imp)
				}
			}
		}
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
			case rel == "platform/httpapi" && target == "platform/store" && slices.Contains(p.Imports, imp):
				t.Errorf("httpapi imports store: the HTTP layer knows failures by platform/fault, not by who returns them")
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
	for _, name := range services {
		if !seen[name] {
			t.Errorf("no package internal/%s: a service or part was renamed without this test", name)
		}
	}
}
